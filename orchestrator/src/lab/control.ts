import { describeStatus, peerStatus } from "../check/overlay.js";
import { InputError } from "../errors.js";
import type { PeerStatus } from "../faults/peer-status.js";
import {
  PROCESS_FAULTS,
  actsOn,
  commandFor,
  isReturning,
  type ProcessFaultName,
  type ReturningFault,
} from "../faults/process-faults.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Lab, LabSnapshot } from "./lab.js";
import { LINKS_BACK_TIMEOUT_MS, awaitLinks, expectedLinks, linksBackAfter, type LinkBack } from "./links-back.js";
import { restoreNetworkFaults } from "./network.js";
import { settle } from "./settle.js";

export interface ControlResult {
  action: ProcessFaultName;
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

type Apply = (runtime: Runtime, id: string, status: PeerStatus, graceSeconds: number) => Promise<void>;

/** How each fault is done to a container; a paused peer is unpaused first where the fault needs it running. */
const APPLY: Record<ProcessFaultName, Apply> = {
  kill: async (runtime, id, status) => {
    if (status === "paused") await runtime.unpause(id);
    await runtime.kill(id, "SIGKILL");
  },
  stop: async (runtime, id, status, graceSeconds) => {
    if (status === "paused") await runtime.unpause(id);
    await runtime.stop(id, graceSeconds);
  },
  pause: (runtime, id) => runtime.pause(id),
  resume: (runtime, id) => runtime.unpause(id),
  restart: async (runtime, id, status, graceSeconds) => {
    if (status === "paused") await runtime.unpause(id);
    await runtime.restart(id, graceSeconds);
  },
  start: (runtime, id) => runtime.start(id),
};

/** Does a process fault to a peer, as `lab <fault>` and the scenario's fault steps do. */
export async function control(
  lab: Lab,
  action: ProcessFaultName,
  peer: string,
  graceSeconds: number,
  signal: AbortSignal,
): Promise<ControlResult> {
  const container = await lab.peer(peer);
  const state = peerStatus(container);
  if (!actsOn(action, state.status)) {
    const next = commandFor(state.status);
    throw new InputError(
      `cannot ${action} ${peer}: it is ${describeStatus(state)}`,
      next ? `try ${next} ${peer}` : undefined,
    );
  }
  await lab.recordObservedLinks();
  const before = await lab.snapshot();
  const since = new Date().toISOString();
  await APPLY[action](lab.runtime, container.id, state.status, graceSeconds);
  await lab.changed(peer, container.id);
  // A new process has a new network namespace, a resumed one read nothing: the network faults in force are put back at once.
  if (isReturning(action)) await restoreNetworkFaults(lab, peer, PROCESS_FAULTS[action].linksBack, signal);
  await lab.record({ ts: since, action, target: peer });
  const returning = isReturning(action) ? await awaitLinksBack(lab, action, peer, before, since, signal) : undefined;
  await settle(lab, signal);
  await lab.recordObservedLinks();
  const after = await lab.snapshot();
  return {
    action,
    peer,
    did: PROCESS_FAULTS[action].did(peer, graceSeconds),
    status: describeStatus(after.peers.find((p) => p.name === peer)!),
    partitionsBefore: before.overlay.partitions,
    partitionsAfter: after.overlay.partitions,
    after,
    ...(returning ? { links: linksBackAfter(lab.topology.links, peer, returning, after, LINKS_BACK_TIMEOUT_MS) } : {}),
  };
}

/**
 * Partitions are read only once the links the action should bring back are back (or the wait
 * gave up): a restarted peer takes a moment to start and dial its targets again.
 */
async function awaitLinksBack(
  lab: Lab,
  action: ReturningFault,
  peer: string,
  before: LabSnapshot,
  since: string,
  signal: AbortSignal,
) {
  const { peers } = await lab.containers();
  const states = lab.peerNames.map((name) => ({ name, ...peerStatus(peers.get(name)) }));
  const expected = expectedLinks(lab.topology.links, peer, action, states, before);
  // A resumed peer is the same process: its links did not start again, so what it printed before counts.
  await awaitLinks(
    lab,
    peer,
    expected.awaited,
    PROCESS_FAULTS[action].linksBack === "same process" ? undefined : since,
    LINKS_BACK_TIMEOUT_MS,
    signal,
  );
  return expected;
}
