import { EVERY_NEIGHBOUR, delayCommand } from "../../../peer/src/delay-command.js";
import { formatDuration } from "../../../peer/src/duration.js";
import { didYouMean } from "../did-you-mean.js";
import { EnvironmentError, InputError } from "../errors.js";
import {
  NO_NETWORK_FAULTS,
  PartitionProblem,
  afterNetworkFault,
  completeGroups,
  describeNetworkFault,
  describeNetworkState,
  isBlocked,
  type DelayMechanism,
  type NetworkFault,
  type NetworkFaultName,
  type NetworkState,
} from "../faults/network-faults.js";
import { isEmpty, rulesFor, sameRules } from "../faults/network-rules.js";
import { withNetworkLock } from "./network-lock.js";
import { networkStateAfter } from "../check/timeline-state.js";
import { inBatches } from "../concurrency.js";
import { helperLabels } from "../plan/labels.js";
import type { ContainerInfo } from "../runtime/runtime.js";
import { takesReferenceFlags } from "../topology/peer-program.js";
import { peerLineReader } from "../transcript/transcript.js";
import { waitFor } from "../wait.js";
import type { Lab, LabSnapshot } from "./lab.js";
import { settle } from "./settle.js";

/** A network fault as asked: a delay's mechanism is lab's to choose, and a partition may name only some groups. */
export type NetworkFaultRequest = NetworkFault extends infer F
  ? F extends { kind: "delay" }
    ? Omit<F, "mechanism">
    : F
  : never;

export interface NetworkResult {
  action: NetworkFaultName;
  fault: NetworkFault;
  /** What was done, in words. */
  did: string;
  /** The network faults in force afterwards, one line each. */
  inForce: string[];
  /** Where a delay is done inside the peer: what that can and cannot do. */
  note?: string;
  /** The peers whose network namespace was changed. */
  changed: string[];
  /** The peers not running (stopped; or paused, for a delay done inside the peer): they get theirs when they start or resume. */
  waiting: string[];
  partitionsBefore: string[][];
  partitionsAfter: string[][];
  after: LabSnapshot;
}

/** Helper containers at once: each is a short-lived container start on the engine's two cores. */
const HELPERS_AT_ONCE = 8;
const DELAY_EVENT_WAIT_MS = 5000;
const POLL_MS = 100;

export const PEER_DELAY_NOTE =
  "this kernel has no netem, so the reference peer holds its own outgoing frames (heartbeats too); the TCP handshake, other programs' packets and retransmissions are not delayed";

/** Does a network fault to the lab, as `lab <fault>` and the scenario's network steps do. */
export async function networkFault(
  lab: Lab,
  request: NetworkFaultRequest,
  signal: AbortSignal,
): Promise<NetworkResult> {
  checkNames(lab, request);
  const fault = await resolve(lab, request);
  return withNetworkLock(lab.runtime, lab.name, signal, async () => {
    const state = networkStateAfter(await lab.actions());
    if (fault.kind === "link") checkSomethingCut(state, fault);
    const next = afterNetworkFault(state, fault);
    await lab.recordObservedLinks();
    const before = await lab.snapshot();
    const since = new Date().toISOString();
    // Journalled before it is done: a change cut short (Ctrl-C, a failed helper) leaves the
    // journal knowing what may be in force, and heal, which clears every namespace, undoes it.
    await lab.record({ ts: since, action: fault.kind, fault, ...targetOf(fault) });
    const { changed, waiting } = await enforce(lab, state, next, since, signal, fault.kind === "heal");
    await settle(lab, signal);
    await lab.recordObservedLinks();
    const after = await lab.snapshot();
    return {
      action: fault.kind,
      fault,
      did: describeNetworkFault(fault),
      inForce: describeNetworkState(next),
      ...(fault.kind === "delay" && fault.mechanism === "peer" && fault.ms > 0 ? { note: PEER_DELAY_NOTE } : {}),
      changed,
      waiting,
      partitionsBefore: before.overlay.partitions,
      partitionsAfter: after.overlay.partitions,
      after,
    };
  });
}

/** `lab link` restores what `lab cut` cut: a pair that is not cut is a mistake, said with what does separate them. */
function checkSomethingCut(state: NetworkState, fault: Extract<NetworkFault, { kind: "link" }>): void {
  const directions = fault.oneWay
    ? [[fault.from, fault.to]]
    : [
        [fault.from, fault.to],
        [fault.to, fault.from],
      ];
  if (directions.some(([from, to]) => state.cuts.some((cut) => cut.from === from && cut.to === to))) return;
  const separated = isBlocked(state, fault.from, fault.to) || isBlocked(state, fault.to, fault.from);
  throw new InputError(
    `nothing to restore: ${fault.from} ${fault.oneWay ? "→" : "↔"} ${fault.to} is not cut`,
    separated ? "the partition separates them: lab heal removes it" : "lab status shows the network faults in force",
  );
}

/**
 * After a peer came back (restart, start: a new process, in a new and empty network namespace,
 * perhaps at a new address; resume: the same process, which read nothing while it was frozen):
 * every running peer's rules are put back after a new process, and a reference peer that lab
 * ever delayed is told its delays as they now stand.
 */
export async function restoreNetworkFaults(
  lab: Lab,
  peer: string,
  process: "new process" | "same process",
  signal: AbortSignal,
): Promise<void> {
  const actions = await lab.actions();
  const delayed = actions.some(
    (action) => action.fault?.kind === "delay" && action.fault.mechanism === "peer" && action.fault.peer === peer,
  );
  const rulesToRestore = process === "new process" && actions.some((action) => action.fault !== undefined);
  if (!rulesToRestore && !delayed) return;
  await withNetworkLock(lab.runtime, lab.name, signal, async () => {
    const state = networkStateAfter(await lab.actions());
    const { peers } = await lab.containers();
    // Every namespace: a neighbour's rules may name this peer's old address, even after a heal it missed.
    if (rulesToRestore) await applyRules(lab, peers, NO_NETWORK_FAULTS, state, signal, true);
    const container = peers.get(peer);
    if (delayed && container?.state === "running") {
      const since = new Date().toISOString();
      for (const delay of delaySet(state, peer)) await delayInPeer(lab, peer, container, delay, since, signal);
    }
  });
}

/**
 * Makes every running (or paused) peer's namespace carry its rules for `next`, changing only the
 * namespaces whose rules differ from those for `previous` (or all of them: `everyNamespace`), and
 * tells the running reference peers the delays they do themselves (a paused one is told when it
 * is resumed).
 */
async function enforce(
  lab: Lab,
  previous: NetworkState,
  next: NetworkState,
  since: string,
  signal: AbortSignal,
  everyNamespace: boolean,
): Promise<{ changed: string[]; waiting: string[] }> {
  const { peers } = await lab.containers();
  const changed = await applyRules(lab, peers, previous, next, signal, everyNamespace);
  const waiting = new Set(
    lab.peerNames.filter((name) => peers.get(name)?.address === undefined && touches(next, name)),
  );
  for (const name of delaysChanged(previous, next)) {
    const container = peers.get(name);
    if (container?.state !== "running") {
      waiting.add(name);
      continue;
    }
    for (const delay of delaySet(next, name)) await delayInPeer(lab, name, container, delay, since, signal);
  }
  return { changed, waiting: lab.peerNames.filter((name) => waiting.has(name)) };
}

/**
 * Puts each peer's rules for `next` into its namespace where they differ from those for
 * `previous`, or into every namespace (`everyNamespace`: a heal, or a peer back with a new
 * address, when what a namespace carries may be more than the journal says). A namespace left
 * carrying rules it should not is an error: heal and down promise none is left. Gives the peers
 * whose namespace was written.
 */
async function applyRules(
  lab: Lab,
  peers: Map<string, ContainerInfo>,
  previous: NetworkState,
  next: NetworkState,
  signal: AbortSignal,
  everyNamespace: boolean,
): Promise<string[]> {
  const addresses = new Map(
    lab.peerNames.flatMap((name) => {
      const address = peers.get(name)?.address;
      return address === undefined ? [] : [[name, address] as const];
    }),
  );
  const changed = new Set<string>();
  const labels = helperLabels(lab.name);
  await inBatches([...addresses.keys()], HELPERS_AT_ONCE, async (name) => {
    const wanted = rulesFor(lab.name, name, next, addresses);
    if (!everyNamespace && sameRules(wanted, rulesFor(lab.name, name, previous, addresses))) return;
    signal.throwIfAborted();
    const applied = await lab.runtime.applyNetworkRules(peers.get(name)!.id, wanted, labels);
    if (isEmpty(wanted) && applied.iptables.length + applied.qdiscs.length > 0) {
      throw new EnvironmentError(
        `${name}'s network namespace still carries rules of lab ${lab.name} after they were removed: ${[...applied.iptables, ...applied.qdiscs].join("; ")}`,
        `lab down ${lab.name} removes its containers, and with them every rule`,
      );
    }
    changed.add(name);
  });
  return lab.peerNames.filter((name) => changed.has(name));
}

type PeerDelay = { to?: string; ms: number; jitterMs: number };

/** The peers whose delays done inside the peer differ between the two states. */
function delaysChanged(previous: NetworkState, next: NetworkState): string[] {
  const inPeer = (state: NetworkState) => state.delay.filter((delay) => delay.mechanism === "peer");
  const peers = new Set([...inPeer(previous), ...inPeer(next)].map((delay) => delay.peer));
  return [...peers].filter((peer) => JSON.stringify(delaySet(previous, peer)) !== JSON.stringify(delaySet(next, peer)));
}

/**
 * What a peer must be told for its delays to be those of the state: `*` first (its value, or 0),
 * since the peer's `/delay *` replaces its per-neighbour settings, then each neighbour's own.
 */
function delaySet(state: NetworkState, peer: string): PeerDelay[] {
  const mine = state.delay.filter((delay) => delay.mechanism === "peer" && delay.peer === peer);
  const every = mine.find((delay) => delay.to === undefined);
  return [
    { ms: every?.ms ?? 0, jitterMs: every?.jitterMs ?? 0 },
    ...mine
      .filter((delay) => delay.to !== undefined)
      .sort((a, b) => a.to!.localeCompare(b.to!))
      .map(({ to, ms, jitterMs }) => ({ to: to!, ms, jitterMs })),
  ];
}

/** Types `/delay <neighbour|*> <ms>ms [<jitter>ms]` into a running reference peer and waits for its `delay` event. */
async function delayInPeer(
  lab: Lab,
  peer: string,
  container: ContainerInfo,
  delay: PeerDelay,
  since: string,
  signal: AbortSignal,
): Promise<void> {
  const { id } = container;
  const neighbor = delay.to ?? EVERY_NEIGHBOUR;
  await lab.runtime.writeLine(id, delayCommand({ neighbor, delay: { ms: delay.ms, jitterMs: delay.jitterMs } }));
  await waitFor(
    async () => {
      const reader = peerLineReader(lab.topology, peer, [container.startedAt]);
      for await (const line of lab.runtime.logs(id, { follow: false })) {
        const event = reader.read(line).event;
        if (event?.ev === "delay" && event.neighbor === neighbor && event.ms === delay.ms && event.ts >= since)
          return true;
      }
      return undefined;
    },
    {
      what: `${peer}'s delay event for ${neighbor} (${formatDuration(delay.ms)})`,
      hint: `${peer} was given /delay on stdin; the reference peer answers with a delay event, see peer/PROTOCOL.md`,
      intervalMs: POLL_MS,
      timeoutMs: DELAY_EVENT_WAIT_MS,
      signal,
    },
  );
}

/** Whether any fault in force involves the peer. */
function touches(state: NetworkState, peer: string): boolean {
  return (
    state.partition !== undefined ||
    state.cuts.some((cut) => cut.from === peer || cut.to === peer) ||
    [...state.loss, ...state.delay].some((item) => item.peer === peer || item.to === peer) ||
    state.rate.some((rate) => rate.peer === peer)
  );
}

/** The peer a fault is done to, for the journal's `target`. */
function targetOf(fault: NetworkFault): { target?: string } {
  if (fault.kind === "loss" || fault.kind === "delay" || fault.kind === "rate") return { target: fault.peer };
  if (fault.kind === "cut" || fault.kind === "link") return { target: fault.from };
  return {};
}

/** Every peer a request names is one of the lab's; a pair is two peers. */
function checkNames(lab: Lab, request: NetworkFaultRequest): void {
  const named: string[] = [];
  if (request.kind === "cut" || request.kind === "link") {
    named.push(request.from, request.to);
    if (request.from === request.to)
      throw new InputError(`cannot ${request.kind} ${request.from} and itself: name two peers`);
  }
  if (request.kind === "loss" || request.kind === "delay" || request.kind === "rate") named.push(request.peer);
  if ((request.kind === "loss" || request.kind === "delay") && request.to !== undefined) {
    named.push(request.to);
    if (request.to === request.peer) throw new InputError(`--to ${request.to} is the peer itself: name another peer`);
  }
  for (const name of named) {
    if (!lab.peerNames.includes(name)) {
      throw new InputError(
        `unknown peer "${name}" in lab ${lab.name} (known: ${lab.peerNames.join(", ")})`,
        didYouMean(name, lab.peerNames) ?? `lab status ${lab.name} lists its peers`,
      );
    }
  }
}

/** The fault as it will be done: a partition's groups completed, a delay's mechanism chosen. */
async function resolve(lab: Lab, request: NetworkFaultRequest): Promise<NetworkFault> {
  if (request.kind === "partition") {
    try {
      return { ...request, groups: completeGroups(request.groups, lab.peerNames) };
    } catch (error) {
      if (!(error instanceof PartitionProblem)) throw error;
      throw new InputError(
        `cannot partition lab ${lab.name}: ${error.message}`,
        error.peer
          ? (didYouMean(error.peer, lab.peerNames) ?? `lab status ${lab.name} lists its peers`)
          : "write the groups as alice,bob / carol,dave",
      );
    }
  }
  if (request.kind !== "delay") return request;
  return { ...request, mechanism: await delayMechanism(lab, request.peer) };
}

/**
 * netem where the kernel has it; otherwise the reference peer's own delay; otherwise there is no
 * way to delay this peer's packets here, and lab says so rather than pretend.
 */
async function delayMechanism(lab: Lab, peer: string): Promise<DelayMechanism> {
  if (await lab.runtime.netemAvailable(helperLabels(lab.name))) return "netem";
  const spec = lab.topology.peers.find((candidate) => candidate.name === peer)!;
  if (takesReferenceFlags(spec) && spec.interface.events === "json") return "peer";
  throw new EnvironmentError(
    `cannot delay ${peer}'s packets: this kernel has no netem (sch_netem), and ${peer} is not the reference peer, which can hold its own frames instead`,
    "load netem on the engine's host (modprobe sch_netem), or use lab loss and lab rate, which work without it",
  );
}
