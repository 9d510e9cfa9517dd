import type { PeerStatus } from "../check/overlay.js";
import type { CheckLevel } from "../topology/schema.js";
import type { EngineRecord } from "../transcript/engine.js";
import type { Action, JournalState } from "../transcript/journal.js";

/** How one (message, peer) pair turned out. */
export type DeliveryClass =
  | "delivered" // reachable when sent, shown once, within the settle window
  | "late" // reachable, shown once, but after the settle window
  | "missing" // reachable when sent, never shown
  | "duplicated" // shown more than once (for the sender: shown again at all)
  | "unexpected" // not reachable when sent, shown anyway (e.g. after healing or resume)
  | "unreachable"; // not reachable, not shown: as it should be

export const FAILABLE_CLASSES = ["missing", "duplicated", "unexpected", "late"] as const;
export type FailableClass = (typeof FAILABLE_CLASSES)[number];

export interface DeliveryCell {
  class: DeliveryClass;
  /** How many times the peer showed the message. */
  count: number;
  /** First showing minus send time. */
  latencyMs?: number;
  /** Hops of the first showing. */
  hops?: number;
}

export interface MessageResult {
  id: string;
  origin: string;
  text: string;
  sentAt: string;
  /** Peers connected to the origin in the live overlay when it was sent. */
  reachable: string[];
  /** One cell per peer, keyed by name, for every peer in topology order, the origin included. */
  cells: Record<string, DeliveryCell>;
}

/** One arrow of the sequence diagram: a `recv` at `to` of a copy forwarded by `from`. */
export interface Forward {
  id: string;
  from: string;
  to: string;
  at: string;
  hops: number;
  /** dup / hop-limit copies are drawn too, marked. */
  kind: "recv" | "dup" | "hop-limit";
}

/** The overlay at one moment: before the run and after each fault. */
export interface OverlaySnapshot {
  label: string;
  at: string;
  states: Record<string, PeerStatus>;
  links: Array<[string, string]>;
  partitions: string[][];
}

export interface ExpectationResult {
  /** The step's number in the scenario, counting from 1 as the run's output does. */
  step: number;
  description: string;
  ok: boolean;
  /** What was expected and what was seen, with the transcript lines that matter. */
  detail: string;
  at: string;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface CheckSummary {
  counts: Record<DeliveryClass, number>;
  levels: Record<FailableClass, CheckLevel>;
  /** The classes whose level is fail and that occurred. */
  failing: FailableClass[];
}

/** Everything a report shows; summary.json is this, minus nothing. */
export interface RunReport {
  lab: string;
  /** Absent when the topology has none. */
  description?: string;
  file: string;
  startedAt: string;
  finishedAt: string;
  verdict: "pass" | "fail";
  peers: string[];
  /** The configured links. */
  links: Array<[string, string]>;
  snapshots: OverlaySnapshot[];
  messages: MessageResult[];
  forwards: Forward[];
  expectations: ExpectationResult[];
  latency: LatencySummary;
  check: CheckSummary;
  actions: Action[];
  /** Container changes the engine saw that no lab action explains: a crash, the OOM killer, a `docker kill`. */
  outsideLab: EngineRecord[];
  /** The journal container when the run was saved: anything but "running" means `actions` may lack some. */
  journal: JournalState;
  /** Why the run failed, in one line each (expectations and checker classes). */
  reasons: string[];
}
