import type { PeerEvent } from "../../../peer/src/events.js";
import {
  DELIVERY_CLASSES,
  FAILABLE_CLASSES,
  type CheckLevel,
  type DeliveryClass,
  type FailableClass,
} from "../delivery/delivery-classes.js";
import type { NetworkState } from "../faults/network-faults.js";
import type { Topology } from "../topology/schema.js";
import type { TimelineRecord } from "../transcript/transcript.js";
import { reachableFrom } from "./overlay.js";
import type {
  CheckSummary,
  DeliveryCell,
  Forward,
  LatencySummary,
  LatencyUnderFaults,
  MessageResult,
} from "./run-report.js";
import { networkStateAt, overlayAt } from "./timeline-state.js";

/** A message shown later than this after it was sent is late. */
export const DEFAULT_LATE_MS = 2000;

export interface CheckResult {
  messages: MessageResult[];
  forwards: Forward[];
  check: CheckSummary;
  latency: LatencySummary;
  /** Present when a loss, delay or rate fault was in force when some message was sent. */
  latencyUnderFaults?: LatencyUnderFaults;
}

type Sent = Extract<PeerEvent, { ev: "sent" }>;
type Shown = Extract<PeerEvent, { ev: "recv" }>;

/**
 * The delivery checker. For every chat message, the peers that should show it are those its
 * sender could get to in the live overlay when it was sent, over the links the peers reported
 * minus those the network dropped, in the direction of travel (reachableFrom); each
 * (message, peer) pair is classified, and the topology's check levels decide which classes fail
 * the run. Loss, delay and rate limits do not make a peer unreachable (TCP still delivers): the
 * latency they cost is summed up apart.
 */
export function checkDeliveries(
  topology: Topology,
  records: TimelineRecord[],
  lateAfterMs = DEFAULT_LATE_MS,
): CheckResult {
  const peers = topology.peers.map((peer) => peer.name);
  const shownById = new Map<string, Shown[]>();
  const forwards: Forward[] = [];
  for (const record of records) {
    if (record.ev === "recv") shownById.set(record.id, [...(shownById.get(record.id) ?? []), record]);
    if (record.ev === "recv" || record.ev === "dup" || record.ev === "hop-limit") {
      forwards.push({
        id: record.id,
        from: record.from,
        to: record.peer,
        at: record.ts,
        hops: record.hops,
        kind: record.ev,
      });
    }
  }
  let degradedAtSomeSend = false;
  const messages = records
    .filter((record): record is Sent => record.ev === "sent")
    .map((sent) => {
      const network = networkStateAt(records, sent.ts);
      if (isDegraded(network)) degradedAtSomeSend = true;
      return classify(sent, shownById.get(sent.id) ?? [], peers, records, network, lateAfterMs);
    });

  const counts = Object.fromEntries(DELIVERY_CLASSES.map((c) => [c, 0])) as Record<DeliveryClass, number>;
  for (const message of messages) {
    for (const [peer, cell] of Object.entries(message.cells)) {
      // The sender showing its own message is the send itself, not a delivery.
      if (peer !== message.origin || cell.class === "duplicated") counts[cell.class] += 1;
    }
  }
  const levels = checkLevels(topology);
  const failing = FAILABLE_CLASSES.filter((c) => levels[c] === "fail" && counts[c] > 0);
  const timed = messages.flatMap((m) =>
    Object.entries(m.cells).flatMap(([peer, cell]) =>
      peer !== m.origin && (cell.class === "delivered" || cell.class === "late") && cell.latencyMs !== undefined
        ? [{ ms: cell.latencyMs, degraded: cell.degraded === true }]
        : [],
    ),
  );
  const latencyOf = (cells: typeof timed): LatencySummary => summarizeLatency(cells.map((cell) => cell.ms));
  return {
    messages,
    forwards,
    check: { counts, levels, failing },
    latency: latencyOf(timed),
    ...(degradedAtSomeSend
      ? {
          latencyUnderFaults: {
            clean: latencyOf(timed.filter((cell) => !cell.degraded)),
            degraded: latencyOf(timed.filter((cell) => cell.degraded)),
          },
        }
      : {}),
  };
}

function classify(
  sent: Sent,
  shown: Shown[],
  peers: string[],
  records: TimelineRecord[],
  network: NetworkState,
  lateAfterMs: number,
): MessageResult {
  const reachable = expectedRecipients(peers, records, sent);
  const firstFrom = new Map(shown.map((event) => [event.peer, event.from] as const).reverse());
  const cells: Record<string, DeliveryCell> = {};
  for (const peer of peers) {
    const mine = shown.filter((event) => event.peer === peer);
    const first = mine[0];
    const timing = first ? { latencyMs: elapsedMs(sent, first), hops: first.hops } : {};
    let kind: DeliveryClass;
    if (peer === sent.peer) {
      // The sender showed it when it was typed: any copy coming back is a duplicate.
      kind = mine.length > 0 ? "duplicated" : "delivered";
      cells[peer] = { class: kind, count: mine.length + 1, ...timing };
      continue;
    }
    if (mine.length > 1) kind = "duplicated";
    else if (!reachable.includes(peer)) kind = mine.length ? "unexpected" : "unreachable";
    else if (!first) kind = "missing";
    else kind = timing.latencyMs! > lateAfterMs ? "late" : "delivered";
    const degraded = first !== undefined && pathOf(peer, sent.peer, firstFrom).some(([a, b]) => slows(network, a, b));
    cells[peer] = { class: kind, count: mine.length, ...timing, ...(degraded ? { degraded: true as const } : {}) };
  }
  return { id: sent.id, origin: sent.peer, text: sent.text, sentAt: sent.ts, reachable, cells };
}

/**
 * The peers a message should reach, in `peers` order: those its sender could get to in the live
 * overlay when it was sent, in the direction of travel (reachableFrom).
 */
export function expectedRecipients(
  peers: string[],
  records: TimelineRecord[],
  sent: Pick<PeerEvent, "peer" | "ts">,
): string[] {
  const reached = reachableFrom(overlayAt(peers, records, sent.ts), sent.peer);
  return peers.filter((peer) => reached.has(peer));
}

/**
 * The hops a peer's first copy of a message took, back to its origin, each [from, to]: every
 * peer's first `recv` says which neighbour it came from. Stops where the chain is not known (a
 * peer that did not say), or would loop.
 */
function pathOf(peer: string, origin: string, firstFrom: Map<string, string>): Array<[string, string]> {
  const hops: Array<[string, string]> = [];
  const seen = new Set([peer]);
  for (let to = peer, from = firstFrom.get(peer); from !== undefined; to = from, from = firstFrom.get(from)) {
    hops.push([from, to]);
    if (from === origin || seen.has(from)) break;
    seen.add(from);
  }
  return hops;
}

/** Whether some fault slows a hop: loss, delay or a rate limit on either end toward the other (TCP needs both ways: a lost ack costs a retransmission too). */
function slows(network: NetworkState, a: string, b: string): boolean {
  const toward = (fault: { peer: string; to?: string }, from: string, to: string): boolean =>
    fault.peer === from && (fault.to === undefined || fault.to === to);
  return (
    [...network.loss, ...network.delay].some((fault) => toward(fault, a, b) || toward(fault, b, a)) ||
    network.rate.some((fault) => fault.peer === a || fault.peer === b)
  );
}

function isDegraded(network: NetworkState): boolean {
  return network.loss.length + network.delay.length + network.rate.length > 0;
}

/**
 * Defaults: nothing reachable may be missed; duplicates fail unless the lab is tree mode on a
 * graph with a cycle, where the storm is the lesson; unexpected and late deliveries are reported.
 */
export function checkLevels(topology: Topology): Record<FailableClass, CheckLevel> {
  const stormExpected = topology.peers.some((peer) => peer.mode === "tree") && hasCycle(topology);
  return {
    missing: topology.check.missing ?? "fail",
    duplicated: topology.check.duplicated ?? (stormExpected ? "warn" : "fail"),
    unexpected: topology.check.unexpected ?? "warn",
    late: topology.check.late ?? "warn",
  };
}

function hasCycle(topology: Topology): boolean {
  const parent = new Map(topology.peers.map((peer) => [peer.name, peer.name]));
  const root = (name: string): string => {
    while (parent.get(name) !== name) name = parent.get(name)!;
    return name;
  };
  for (const [a, b] of topology.links) {
    const [ra, rb] = [root(a), root(b)];
    if (ra === rb) return true;
    parent.set(ra, rb);
  }
  return false;
}

/**
 * Milliseconds from one event to another: to the microsecond when both carry `tsUs` (the
 * reference peer's wall clock at µs resolution, comparable across containers on one host), else
 * from the millisecond ISO `ts` every peer prints.
 */
function elapsedMs(from: PeerEvent, to: PeerEvent): number {
  if (from.tsUs !== undefined && to.tsUs !== undefined) return (to.tsUs - from.tsUs) / 1000;
  return Date.parse(to.ts) - Date.parse(from.ts);
}

function summarizeLatency(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    // To the µs: per-hop latencies inside one host are fractions of a millisecond.
    meanMs: Math.round((sorted.reduce((sum, v) => sum + v, 0) / sorted.length) * 1000) / 1000,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: sorted.at(-1)!,
  };
}
