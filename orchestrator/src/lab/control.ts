import { InputError } from "../errors.js";
import { describeStatus, peerStatus, type PeerStatus } from "../check/overlay.js";
import type { Lab, LabSnapshot } from "./lab.js";
import {
  LINKS_BACK_TIMEOUT_MS,
  RETURNING_ACTIONS,
  awaitLinks,
  expectedLinks,
  linksBackAfter,
  type LinkBack,
  type ReturningAction,
} from "./links-back.js";
import { settle } from "./settle.js";

export const CONTROL_ACTIONS = ["kill", "stop", "pause", "resume", "restart", "start"] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export interface ControlResult {
  action: ControlAction;
  peer: string;
  /** What was done, in words: "killed bob (SIGKILL)". */
  did: string;
  status: string;
  partitionsBefore: string[][];
  partitionsAfter: string[][];
  /** The lab once the peers settled after the action. */
  after: LabSnapshot;
  /** After restart, start and resume: each configured link of the peer, back or why not. */
  links?: LinkBack[];
}

/** The states each action starts from; anything else gets a clear refusal and the command that fits. */
const ALLOWED: Record<ControlAction, PeerStatus[]> = {
  kill: ["running", "paused", "restarting"],
  stop: ["running", "paused", "restarting"],
  pause: ["running"],
  resume: ["paused"],
  restart: ["running", "paused", "exited", "killed", "created"],
  start: ["exited", "killed", "created"],
};

const SUGGESTION: Partial<Record<PeerStatus, string>> = {
  paused: "lab resume",
  exited: "lab start",
  killed: "lab start",
  created: "lab start",
  running: "lab status",
};

export async function control(lab: Lab, action: ControlAction, peer: string, graceSeconds: number, signal: AbortSignal): Promise<ControlResult> {
  const container = await lab.peer(peer);
  const state = peerStatus(container);
  const { status } = state;
  if (!ALLOWED[action].includes(status)) {
    const next = SUGGESTION[status];
    throw new InputError(`cannot ${action} ${peer}: it is ${describeStatus(state)}`, next ? `try ${next} ${peer}` : undefined);
  }
  const before = await lab.snapshot();
  const since = new Date().toISOString();
  const runtime = lab.runtime;
  let did: string;
  switch (action) {
    case "kill":
      if (status === "paused") await runtime.unpause(container.id);
      await runtime.kill(container.id, "SIGKILL");
      did = `killed ${peer} (SIGKILL)`;
      break;
    case "stop":
      if (status === "paused") await runtime.unpause(container.id);
      await runtime.stop(container.id, graceSeconds);
      did = `stopped ${peer} (SIGTERM, SIGKILL after ${graceSeconds} s)`;
      break;
    case "pause":
      await runtime.pause(container.id);
      did = `paused ${peer} (frozen: its neighbours notice only when their heartbeat times out)`;
      break;
    case "resume":
      await runtime.unpause(container.id);
      did = `resumed ${peer}`;
      break;
    case "restart":
      if (status === "paused") await runtime.unpause(container.id);
      await runtime.restart(container.id, graceSeconds);
      did = `restarted ${peer} (a new process: it reconnects to its own --connect targets only)`;
      break;
    case "start":
      await runtime.start(container.id);
      did = `started ${peer} (it reconnects to its own --connect targets only)`;
      break;
  }
  await lab.record({ ts: since, action, target: peer });
  const returning = isReturning(action) ? await awaitLinksBack(lab, action, peer, before, since, signal) : undefined;
  await settle(lab, signal);
  const after = await lab.snapshot();
  return {
    action,
    peer,
    did,
    status: describeStatus(after.peers.find((p) => p.name === peer)!),
    partitionsBefore: before.overlay.partitions,
    partitionsAfter: after.overlay.partitions,
    after,
    ...(returning ? { links: linksBackAfter(lab.topology.links, peer, returning, after, LINKS_BACK_TIMEOUT_MS) } : {}),
  };
}

function isReturning(action: ControlAction): action is ReturningAction {
  return (RETURNING_ACTIONS as readonly string[]).includes(action);
}

/**
 * Partitions are read only once the links the action should bring back are back (or the wait
 * gave up): a restarted peer takes a moment to start and dial its targets again.
 */
async function awaitLinksBack(lab: Lab, action: ReturningAction, peer: string, before: LabSnapshot, since: string, signal: AbortSignal) {
  const { peers } = await lab.containers();
  const states = lab.peerNames.map((name) => ({ name, ...peerStatus(peers.get(name)) }));
  const expected = expectedLinks(lab.topology.links, peer, action, states, before);
  // A resumed peer is the same process: its links did not start again, so what it printed before counts.
  await awaitLinks(lab, peer, expected.awaited, action === "resume" ? undefined : since, LINKS_BACK_TIMEOUT_MS, signal);
  return expected;
}
