import { z } from "zod";
import { formatDuration } from "../../../peer/src/duration.js";
import { mulberry32 } from "../random.js";
import { pairText } from "./pair-text.js";

export { pairText };

/**
 * How a delay is done: by the kernel's netem qdisc in the peer's network namespace, or, where the
 * kernel has no netem, inside the reference peer itself (a `/delay` line on its stdin).
 */
export const DELAY_MECHANISMS = ["netem", "peer"] as const;
export type DelayMechanism = (typeof DELAY_MECHANISMS)[number];

const peer = z.string().min(1);
const to = peer.optional();

/**
 * A network fault as the journal records it and the timeline replays it: what was asked, with the
 * values that decide its effect. One schema, so a journal line from another version is refused
 * whole rather than half understood.
 */
export const networkFaultSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("partition"),
    groups: z.array(z.array(peer).min(1)).min(2),
    seed: z.number().int().optional(),
  }),
  z.strictObject({ kind: z.literal("heal") }),
  z.strictObject({ kind: z.literal("cut"), from: peer, to: peer, oneWay: z.boolean() }),
  z.strictObject({ kind: z.literal("link"), from: peer, to: peer, oneWay: z.boolean() }),
  z.strictObject({ kind: z.literal("loss"), peer, percent: z.number().min(0).max(100), to }),
  z.strictObject({
    kind: z.literal("delay"),
    peer,
    ms: z.number().int().min(0),
    jitterMs: z.number().int().min(0),
    to,
    mechanism: z.enum(DELAY_MECHANISMS),
  }),
  z.strictObject({ kind: z.literal("rate"), peer, kbit: z.number().min(0) }),
]);
export type NetworkFault = z.infer<typeof networkFaultSchema>;
export type NetworkFaultName = NetworkFault["kind"];

/** One direction of one pair of peers whose packets are dropped. */
export interface Cut {
  from: string;
  to: string;
}

/** The network faults in force: what every network fault so far adds up to. */
export interface NetworkState {
  /** The groups of the latest partition, each peer in exactly one; absent: none. */
  partition?: string[][];
  /** Directed: a two-way cut is two entries. Kept apart from the partition, which `link` does not undo. */
  cuts: Cut[];
  loss: Array<{ peer: string; percent: number; to?: string }>;
  delay: Array<{ peer: string; ms: number; jitterMs: number; to?: string; mechanism: DelayMechanism }>;
  rate: Array<{ peer: string; kbit: number }>;
}

export const NO_NETWORK_FAULTS: NetworkState = Object.freeze({ cuts: [], loss: [], delay: [], rate: [] });

interface NetworkFaultEntry<K extends NetworkFaultName> {
  /** `lab <fault>`'s one line of help. */
  help: string;
  /** The state once it is done. */
  after(state: NetworkState, fault: Extract<NetworkFault, { kind: K }>): NetworkState;
  /** What was done, in words, for the CLI's output and the timeline. */
  did(fault: Extract<NetworkFault, { kind: K }>): string;
}

/**
 * Every network fault, declared once: the CLI's commands and help, the scenario's steps, the
 * journal's records, the timeline's state and the words of the output and the report read this.
 */
export const NETWORK_FAULTS: { [K in NetworkFaultName]: NetworkFaultEntry<K> } = {
  partition: {
    help: "split the network into groups (alice,bob / carol): packets between groups are dropped silently, both ways; peers not named form one more group",
    after: (state, fault) => ({ ...state, partition: fault.groups }),
    did: (fault) =>
      `partitioned the network${fault.seed === undefined ? "" : ` (random, seed ${fault.seed})`}: ${groupsText(fault.groups)}`,
  },
  heal: {
    help: "remove every network fault: partitions, cuts, loss, delay and rate limits",
    after: () => NO_NETWORK_FAULTS,
    did: () => "healed the network: every network fault removed",
  },
  cut: {
    help: "drop every packet between two peers silently (no reset); --one-way drops only a→b",
    after: (state, fault) => ({
      ...state,
      cuts: [...state.cuts, ...directions(fault)].filter(
        (cut, index, all) => all.findIndex((other) => sameCut(cut, other)) === index,
      ),
    }),
    did: (fault) => `cut ${pairText(fault)}`,
  },
  link: {
    help: "restore what lab cut cut between two peers; --one-way restores only a→b",
    after: (state, fault) => ({
      ...state,
      cuts: state.cuts.filter((cut) => !directions(fault).some((restored) => sameCut(cut, restored))),
    }),
    did: (fault) => `restored ${pairText(fault)}`,
  },
  loss: {
    help: "drop this share of a peer's outgoing packets at random (all, or --to one peer); 0 removes it",
    after: (state, fault) => ({
      ...state,
      loss: [
        ...state.loss.filter((loss) => !(loss.peer === fault.peer && loss.to === fault.to)),
        ...(fault.percent > 0 ? [withTo({ peer: fault.peer, percent: fault.percent }, fault.to)] : []),
      ],
    }),
    did: (fault) =>
      fault.percent > 0
        ? `${fault.percent}% of ${fault.peer}'s packets${toText(fault.to)} are dropped at random`
        : `no more loss on ${fault.peer}'s packets${toText(fault.to)}`,
  },
  delay: {
    help: "hold a peer's outgoing packets this long (all, or --to one peer), ± --jitter; 0 removes it",
    after: (state, fault) => ({
      ...state,
      delay: [
        ...state.delay.filter((delay) => !(delay.peer === fault.peer && delay.to === fault.to)),
        ...(fault.ms > 0
          ? [withTo({ peer: fault.peer, ms: fault.ms, jitterMs: fault.jitterMs, mechanism: fault.mechanism }, fault.to)]
          : []),
      ],
    }),
    did: (fault) =>
      fault.ms > 0
        ? `${fault.peer}'s packets${toText(fault.to)} are held ${delayText(fault)} (${MECHANISM_WORDS[fault.mechanism]})`
        : `no more delay on ${fault.peer}'s packets${toText(fault.to)}`,
  },
  rate: {
    help: "limit a peer's outgoing traffic to a rate such as 256kbit or 1mbit (tbf); 0 removes it",
    after: (state, fault) => ({
      ...state,
      rate: [
        ...state.rate.filter((rate) => rate.peer !== fault.peer),
        ...(fault.kbit > 0 ? [{ peer: fault.peer, kbit: fault.kbit }] : []),
      ],
    }),
    did: (fault) =>
      fault.kbit > 0
        ? `${fault.peer}'s outgoing traffic is limited to ${rateText(fault.kbit)}`
        : `no more rate limit on ${fault.peer}`,
  },
};

export const NETWORK_FAULT_NAMES = Object.keys(NETWORK_FAULTS) as NetworkFaultName[];

export function isNetworkFault(name: string): name is NetworkFaultName {
  return Object.hasOwn(NETWORK_FAULTS, name);
}

/** The state once `fault` is done in `state`. */
export function afterNetworkFault(state: NetworkState, fault: NetworkFault): NetworkState {
  return (NETWORK_FAULTS[fault.kind] as NetworkFaultEntry<NetworkFaultName>).after(state, fault as never);
}

/** What was done, in words: "cut alice → bob (one way)". */
export function describeNetworkFault(fault: NetworkFault): string {
  return (NETWORK_FAULTS[fault.kind] as NetworkFaultEntry<NetworkFaultName>).did(fault as never);
}

/** Whether packets from one peer to another are dropped: they are in different groups of a partition, or that direction is cut. */
export function isBlocked(state: NetworkState, from: string, to: string): boolean {
  if (state.cuts.some((cut) => cut.from === from && cut.to === to)) return true;
  if (!state.partition) return false;
  const group = (name: string) => state.partition!.findIndex((members) => members.includes(name));
  return group(from) !== group(to);
}

export function isQuiet(state: NetworkState): boolean {
  return !state.partition && [state.cuts, state.loss, state.delay, state.rate].every((list) => list.length === 0);
}

/** The faults in force, one line each: "partition {alice, bob} / {carol, dave}", "cut alice → bob". */
export function describeNetworkState(state: NetworkState): string[] {
  const twoWay = state.cuts.filter(
    (cut) => cut.from < cut.to && state.cuts.some((other) => sameCut(other, reversed(cut))),
  );
  const oneWay = state.cuts.filter((cut) => !state.cuts.some((other) => sameCut(other, reversed(cut))));
  return [
    ...(state.partition ? [`partition ${groupsText(state.partition)}`] : []),
    ...twoWay.map((cut) => `cut ${cut.from} ↔ ${cut.to}`),
    ...oneWay.map((cut) => `cut ${cut.from} → ${cut.to} (one way)`),
    ...state.loss.map((loss) => `loss ${loss.percent}% on ${loss.peer}${toText(loss.to)}`),
    ...state.delay.map(
      (delay) => `delay ${delayText(delay)} on ${delay.peer}${toText(delay.to)} (${MECHANISM_WORDS[delay.mechanism]})`,
    ),
    ...state.rate.map((rate) => `rate ${rateText(rate.kbit)} on ${rate.peer}`),
  ];
}

/** The groups of a partition as text: "{alice, bob} / {carol, dave}". */
export function groupsText(groups: string[][]): string {
  return groups.map((group) => `{${group.join(", ")}}`).join(" / ");
}

export const MECHANISM_WORDS: Record<DelayMechanism, string> = {
  netem: "netem",
  peer: "inside the peer: this kernel has no netem",
};

/**
 * The groups of `lab partition alice,bob / carol` (or of a step's `partition: "alice,bob / carol"`):
 * names split by commas and spaces, groups by `/`. `completeGroups` checks them against the lab.
 */
export function parseGroups(text: string): string[][] {
  const groups = text.split("/").map((group) => group.split(/[\s,]+/).filter(Boolean));
  if (groups.some((group) => group.length === 0)) {
    throw new PartitionProblem(`a group is empty in "${text}": write the groups as alice,bob / carol,dave`);
  }
  return groups;
}

/** The named groups checked, and the peers not named added as one more group. */
export function completeGroups(groups: string[][], peers: readonly string[]): string[][] {
  const seen = new Set<string>();
  for (const name of groups.flat()) {
    if (!peers.includes(name)) throw new PartitionProblem(`there is no peer "${name}" in this lab`, name);
    if (seen.has(name)) throw new PartitionProblem(`${name} is named twice: a peer is in one group`);
    seen.add(name);
  }
  const rest = peers.filter((name) => !seen.has(name));
  const all = rest.length > 0 ? [...groups, rest] : groups;
  if (all.length < 2) throw new PartitionProblem("every peer is in one group: a partition needs at least two");
  return all;
}

/** A random partition into `count` non-empty groups: the same peers and seed give the same groups. */
export function randomPartition(peers: readonly string[], seed: number, count = 2): string[][] {
  if (peers.length < count) throw new PartitionProblem(`${peers.length} peers cannot form ${count} groups`);
  const random = mulberry32(seed);
  const shuffled = [...peers];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const groups: string[][] = Array.from({ length: count }, () => []);
  shuffled.forEach((name, index) => groups[index % count]!.push(name));
  const order = new Map(peers.map((name, index) => [name, index]));
  return groups.map((group) => group.sort((a, b) => order.get(a)! - order.get(b)!));
}

/** A partition that cannot be made: the words say why; `peer` is set when a name is unknown. */
export class PartitionProblem extends Error {
  constructor(
    message: string,
    readonly peer?: string,
  ) {
    super(message);
  }
}

/**
 * `256kbit`, `1.5mbit`, `2gbit` (tc's units, bits per second) as kbit/s; `0` removes a limit.
 * Bytes (`kbps`, tc's kilobytes) are refused: the mix-up is a factor of 8.
 */
export function parseRate(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)?$/i.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? (value === 0 ? "kbit" : "")).toLowerCase();
  const kbit = value * ({ bit: 0.001, kbit: 1, mbit: 1000, gbit: 1_000_000 } as Record<string, number>)[unit]!;
  // tc takes whole kbit/s.
  if (!Number.isInteger(kbit) || (kbit !== 0 && (kbit < 8 || kbit > 10_000_000))) return undefined;
  return kbit;
}

export const RATE_EXAMPLES =
  "256kbit, 1mbit or 1.5mbit (bits per second, whole kbit, 8kbit to 10gbit; 0 removes the limit)";

/** `10`, `10%`, `0.5%` as a percentage; 0 removes loss. */
export function parsePercent(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text.trim());
  const value = match ? Number(match[1]) : NaN;
  return value >= 0 && value <= 100 ? value : undefined;
}

export function rateText(kbit: number): string {
  return kbit >= 1000 ? `${kbit / 1000} Mbit/s` : `${kbit} kbit/s`;
}

function delayText(delay: { ms: number; jitterMs: number }): string {
  return `${formatDuration(delay.ms)}${delay.jitterMs > 0 ? ` ± ${formatDuration(delay.jitterMs)}` : ""}`;
}

function toText(to: string | undefined): string {
  return to === undefined ? "" : ` to ${to}`;
}

function directions(fault: { from: string; to: string; oneWay: boolean }): Cut[] {
  const forward = { from: fault.from, to: fault.to };
  return fault.oneWay ? [forward] : [forward, reversed(forward)];
}

function reversed(cut: Cut): Cut {
  return { from: cut.to, to: cut.from };
}

function sameCut(a: Cut, b: Cut): boolean {
  return a.from === b.from && a.to === b.to;
}

function withTo<T extends object>(value: T, to: string | undefined): T & { to?: string } {
  return to === undefined ? value : { ...value, to };
}
