import { randomUUID } from "node:crypto";
import { messageTextProblem } from "../../../peer/src/message-text.js";
import type { PeerEvent } from "../../../peer/src/events.js";
import { sendCommand } from "../../../peer/src/send-command.js";
import { describeStatus, peerStatus, reachableFrom } from "../check/overlay.js";
import { InputError } from "../errors.js";
import type { Runtime } from "../runtime/runtime.js";
import { typedLine } from "../adapter/send-template.js";
import { foreignMessageId } from "../adapter/stdio-adapter.js";
import { peerLineReader } from "../transcript/transcript.js";
import { waitFor } from "../wait.js";
import { recordingEvents, type Lab } from "./lab.js";
import { settle } from "./settle.js";

const SENT_EVENT_WAIT_MS = 5000;
const POLL_MS = 250;

export interface Typed {
  /** The message id the peer gave it, from its `sent` event (a stdio program's: foreignMessageId of the text). */
  id: string;
  /** The neighbours the peer says it sent to; undefined: it does not say (a stdio program). */
  to: string[] | undefined;
  /** When the line was typed. */
  since: string;
}

/** Throws the InputError `lab send` and the send step give for text that cannot be one message. */
export function checkMessageText(text: string): void {
  const problem = messageTextProblem(text);
  if (problem) throw new InputError(`cannot send ${JSON.stringify(text.slice(0, 40))}: ${problem}`);
}

/** What typing a message needs of a lab: its topology, the peer's container, the journal, stdin and logs. */
export type TypingLab = Pick<Lab, "peer" | "record" | "topology"> & { runtime: Pick<Runtime, "writeLine" | "logs"> };

/**
 * Types a chat message into a running peer, journals it, and gives its message id. Shared by
 * `lab send` and the scenario's send step.
 * - A peer of the reference contract is typed `/send REF TEXT` and prints a `sent` event with
 *   that REF, which names the message id. The fresh REF, not the text and time, ties the event to
 *   this send: two identical sends at the same moment get their own ids.
 * - A stdio program is typed its `send` template's line. It has no ids: the id is made from the
 *   text (foreignMessageId), so two sends of one text are one message. With a `sent` expression,
 *   its echo is awaited; without one, the send action in the journal stands for its `sent` event
 *   (transcript.ts typedLines).
 * No `sent` event within 5 s is a WaitTimeoutError: the peer does not speak the protocol, or did
 * not take the line.
 */
export async function typeMessage(lab: TypingLab, peer: string, text: string, signal: AbortSignal): Promise<Typed> {
  checkMessageText(text);
  const container = await lab.peer(peer);
  const state = peerStatus(container);
  if (state.status !== "running") {
    throw new InputError(
      `cannot send from ${peer}: it is ${describeStatus(state)}`,
      state.status === "paused" ? `lab resume ${peer}` : `lab start ${peer}`,
    );
  }
  const since = new Date().toISOString();
  const program = lab.topology.peers.find((spec) => spec.name === peer)!.interface;
  const ref = randomUUID();
  const typed = program.events === "stdio" ? typedLine(program.send, text) : sendCommand(ref, text);
  await lab.runtime.writeLine(container.id, typed);
  await lab.record({ ts: since, action: "send", target: peer, detail: text });
  const id = foreignMessageId(text);
  if (program.events === "stdio" && program.sent === undefined) return { id, to: undefined, since };
  const isEcho = (event: PeerEvent | undefined): event is Extract<PeerEvent, { ev: "sent" }> =>
    event?.ev === "sent" && (program.events === "stdio" ? event.id === id && event.ts >= since : event.ref === ref);
  return waitFor(
    async () => {
      // Only the sender's own log: the rest of the lab has nothing to say about this yet.
      const reader = peerLineReader(lab.topology, peer, [container.startedAt]);
      for await (const line of lab.runtime.logs(container.id, { follow: false })) {
        const event = reader.read(line).event;
        if (isEcho(event)) return { id: event.id, to: program.events === "stdio" ? undefined : event.to, since };
      }
      return undefined;
    },
    {
      what: `the sent event of ${peer} for ${JSON.stringify(text.slice(0, 40))}`,
      hint:
        program.events === "stdio"
          ? `${peer} was typed ${JSON.stringify(typed)}; its output should then match its interface's sent expression`
          : `${peer} was given /send REF TEXT on stdin; a peer takes it and prints a sent event with that REF, see peer/PROTOCOL.md`,
      intervalMs: POLL_MS,
      timeoutMs: SENT_EVENT_WAIT_MS,
      signal,
    },
  );
}

export interface SendResult {
  peer: string;
  text: string;
  id: string;
  /** Peers that showed the message (each once, in topology order). */
  receivedBy: string[];
  /** Peers the sender could get to when it was sent, minus what the network dropped: who should receive it. */
  reachable: string[];
}

/** `lab send`: types a line into a peer and reports who received it once the lab is quiet again. */
export async function send(lab: Lab, peer: string, text: string, signal: AbortSignal): Promise<SendResult> {
  await lab.recordObservedLinks();
  const before = await lab.snapshot();
  const reached = reachableFrom(before.overlay, peer);
  const typed = await typeMessage(lab, peer, text, signal);
  await settle(lab, signal);
  const receivers = new Set(
    recordingEvents(await lab.recording()).flatMap((event) =>
      event.ev === "recv" && event.id === typed.id && event.ts >= typed.since ? [event.peer] : [],
    ),
  );
  return {
    peer,
    text,
    id: typed.id,
    receivedBy: lab.peerNames.filter((name) => receivers.has(name)),
    reachable: lab.peerNames.filter((name) => reached.has(name)),
  };
}
