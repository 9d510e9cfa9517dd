import { InputError } from "../errors.js";
import { describeStatus, peerStatus } from "../check/overlay.js";
import type { Lab } from "./lab.js";
import { settle } from "./settle.js";

export interface SendResult {
  peer: string;
  text: string;
  /** The message id the peer gave it, once its `sent` event is seen. */
  id?: string;
  /** Peers that showed the message (each once, in topology order). */
  receivedBy: string[];
  /** Peers in the sender's partition when it was sent: who should receive it. */
  reachable: string[];
}

/** Types a line into a peer and reports who received it once the lab is quiet again. */
export async function send(lab: Lab, peer: string, text: string): Promise<SendResult> {
  if (text.includes("\n")) throw new InputError("a message is one line", "send each line separately");
  const container = await lab.peer(peer);
  const state = peerStatus(container);
  if (state.status !== "running") {
    throw new InputError(`cannot send from ${peer}: it is ${describeStatus(state)}`, state.status === "paused" ? `lab resume ${peer}` : `lab start ${peer}`);
  }
  const before = await lab.snapshot();
  const since = new Date().toISOString();
  await lab.runtime.writeLine(container.id, text);
  await lab.record({ ts: since, action: "send", target: peer, detail: text });
  await settle(lab, since);
  const recording = await lab.recording();
  const sent = recording.lines
    .get(peer)
    ?.map((line) => line.event)
    .find((event) => event?.ev === "sent" && event.ts >= since && event.text === text);
  const id = sent?.ev === "sent" ? sent.id : undefined;
  const receivers = new Set(
    [...recording.lines.values()].flat().flatMap((line) => (line.event?.ev === "recv" && line.event.id === id ? [line.peer] : [])),
  );
  return {
    peer,
    text,
    ...(id ? { id } : {}),
    receivedBy: lab.peerNames.filter((name) => receivers.has(name)),
    reachable: (before.overlay.partitions.find((partition) => partition.includes(peer)) ?? []).filter((name) => name !== peer),
  };
}
