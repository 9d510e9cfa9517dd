import { z } from "zod";
import { CHECK_LEVELS, DELIVERY_CLASSES, FAILABLE_CLASSES } from "../delivery/delivery-classes.js";
import { networkFaultSchema } from "../faults/network-faults.js";
import { PEER_STATUSES } from "../faults/peer-status.js";
import { CONTAINER_CHANGES } from "../runtime/runtime.js";
import { formatPath } from "../topology/diagnostic.js";
import type { EngineRecord } from "../transcript/engine.js";
import { JOURNAL_STATES, type Action } from "../transcript/journal.js";
import { LINK_SOURCES } from "../transcript/link-records.js";

/**
 * The version of summary.json's shape, written in it and required by `lab report`. Raise it when
 * a field is removed or changes meaning, so an old summary is refused in words, not half drawn.
 * A field added as optional keeps the version: older summaries lack it and are drawn without it.
 */
export const SUMMARY_VERSION = 1;

const peer = z.string();
const link = z.tuple([peer, peer]);
const count = z.number().int().min(0);

/** How one (message, peer) pair turned out. */
const deliveryCellSchema = z.object({
  class: z.enum(DELIVERY_CLASSES),
  /** How many times the peer showed the message. */
  count,
  /** First showing minus send time. */
  latencyMs: z.number().optional(),
  /** Hops of the first showing. */
  hops: count.optional(),
  /** The first copy's path crossed a link with loss, delay or a rate limit in force when the message was sent. */
  degraded: z.literal(true).optional(),
});

const messageResultSchema = z.object({
  id: z.string(),
  origin: peer,
  text: z.string(),
  sentAt: z.string(),
  /** Peers the origin could get to in the live overlay when it was sent, minus what the network dropped (directed). */
  reachable: z.array(peer),
  /** One cell per peer, keyed by name, for every peer in topology order, the origin included. */
  cells: z.record(peer, deliveryCellSchema),
});

/** One arrow of the sequence diagram: a `recv` at `to` of a copy forwarded by `from`; dup and hop-limit copies are drawn too, marked. */
const forwardSchema = z.object({
  id: z.string(),
  from: peer,
  to: peer,
  at: z.string(),
  hops: count,
  kind: z.enum(["recv", "dup", "hop-limit"]),
});

/** A link the peers reported up but the network dropped: both ways, or only from → to. */
const cutLinkSchema = z.object({ from: peer, to: peer, oneWay: z.boolean() });

/** The overlay at one moment: before the run and after each fault. */
const overlaySnapshotSchema = z.object({
  label: z.string(),
  at: z.string(),
  states: z.record(peer, z.enum(PEER_STATUSES)),
  /** Links reported up that the network lets through both ways. */
  links: z.array(link),
  /** Links reported up that the network drops. Absent in summaries from before network faults. */
  cut: z.array(cutLinkSchema).optional(),
  /** The network faults in force, one line each (describeNetworkState). Absent in summaries from before network faults. */
  network: z.array(z.string()).optional(),
  partitions: z.array(z.array(peer)),
});

const expectationResultSchema = z.object({
  /** The step's number in the scenario, counting from 1 as the run's output does. */
  step: z.number().int().min(1),
  description: z.string(),
  ok: z.boolean(),
  /** What was expected and what was seen, with the transcript lines that matter. */
  detail: z.string(),
  at: z.string(),
});

const latencySummarySchema = z.object({
  count,
  meanMs: z.number(),
  p50Ms: z.number(),
  p95Ms: z.number(),
  maxMs: z.number(),
});

/** Latency split by the network: copies whose path a loss, delay or rate fault slowed when the message was sent, and the rest. */
const latencyUnderFaultsSchema = z.object({ clean: latencySummarySchema, degraded: latencySummarySchema });

/** One end of a link a fault silenced: when and why it noticed, if it did while the fault was in force. */
const detectionEndSchema = z.object({
  /** The peer that should notice, and its neighbour across the silenced link. */
  peer,
  neighbor: peer,
  /** Its first `link-down` for the neighbour after the fault (a link record's source for a peer lab observes); absent: not detected. */
  reason: z.string().optional(),
  at: z.string().optional(),
  afterMs: z.number().optional(),
  /** When the fault stopped silencing this link (resume, start, heal, link), if it did before the run ended. */
  undoneAt: z.string().optional(),
});

/** A fault that silenced links (kill, stop, pause, partition, cut) and how long each end took to notice. */
const detectionSchema = z.object({
  action: z.string(),
  /** The action in words, as the actions list says it. */
  description: z.string(),
  at: z.string(),
  ends: z.array(detectionEndSchema),
});

/** Smallest, median and largest of a figure over a set of broadcasts. */
const spreadSchema = z.object({ min: z.number(), median: z.number(), max: z.number() });

/** One broadcast's cost, counted from the transcripts. */
const broadcastCostSchema = z.object({
  id: z.string(),
  origin: peer,
  /** The sender's mode (tree, dedup, heal), or "own program" for a peer running a program of its own. */
  mode: z.string(),
  /** Payload frames: every `recv` and `dup` of the message, at every peer, the sender included. */
  frames: count,
  /** N − 1: the peers that should have received it (the checker's reachable peers). */
  floor: count,
  /** Frames beyond each peer's first copy: dup events, and a peer's (or the sender's) second and later recv. */
  duplicates: count,
  /** `hop-limit` events: copies shown but not passed on. */
  hopLimitDrops: count,
});

/** The broadcasts of one sender mode, summed up. */
const modeCostSchema = z.object({
  mode: z.string(),
  broadcasts: count,
  frames: spreadSchema,
  floor: spreadSchema,
  /** frames / floor per broadcast; absent when no broadcast had a peer to reach. */
  ratio: spreadSchema.optional(),
  duplicates: count,
  hopLimitDrops: count,
});

/** A step back in time from a repair: what it followed, and how long before. */
const sinceSchema = z.object({ description: z.string(), at: z.string(), afterMs: z.number() });

/** A link a heal peer dialled on its own (`link-up` with `repair: true`). */
const repairSchema = z.object({
  peer,
  neighbor: peer,
  at: z.string(),
  /** The latest lab action before it that silenced links (kill, stop, pause, partition, cut). */
  loss: sinceSchema.optional(),
  /** The repairing peer's latest `link-down` before it. */
  linkDown: sinceSchema.optional(),
});

const costSchema = z.object({
  /** The lab runs more than one mode: each broadcast is counted under its sender's. */
  mixed: z.boolean(),
  byMode: z.array(modeCostSchema),
  broadcasts: z.array(broadcastCostSchema),
  repairs: z.array(repairSchema),
});

const checkSummarySchema = z.object({
  counts: z.record(z.enum(DELIVERY_CLASSES), count),
  levels: z.record(z.enum(FAILABLE_CLASSES), z.enum(CHECK_LEVELS)),
  /** The classes whose level is fail and that occurred. */
  failing: z.array(z.enum(FAILABLE_CLASSES)),
});

const actionSchema = z.object({
  ts: z.string(),
  action: z.string(),
  target: z.string().optional(),
  detail: z.string().optional(),
  fault: networkFaultSchema.optional(),
}) satisfies z.ZodType<Action>;

const engineRecordSchema = z.object({
  ts: z.string(),
  peer: z.literal("engine"),
  ev: z.literal("container"),
  target: peer,
  change: z.enum(CONTAINER_CHANGES),
  exitCode: z.number().int().optional(),
  source: z.enum(["events", "state"]),
}) satisfies z.ZodType<EngineRecord>;

/** Where a peer's links came from over the run. */
const linkSourceSchema = z.object({
  source: z.enum(LINK_SOURCES),
  /** With "configured": why its TCP table could not be read. */
  reason: z.string().optional(),
});

/** One engine of a lab spread over several: its peers and its clock against the lab's at `up`. */
const engineSchema = z.object({
  /** Its Docker context's name. */
  name: z.string(),
  peers: z.array(peer),
  /** Engine − lab (ms), and how far off that may be; the engine's times and its peers' were corrected by it. */
  clockOffsetMs: z.number(),
  uncertaintyMs: z.number(),
});

/** Everything a report shows: summary.json is this, minus nothing. */
const runReportSchema = z.object({
  version: z.literal(SUMMARY_VERSION),
  lab: z.string(),
  /** Absent when the topology has none. */
  description: z.string().optional(),
  file: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  verdict: z.enum(["pass", "fail"]),
  peers: z.array(peer),
  /** The configured links. */
  links: z.array(link),
  /**
   * Per peer, where lab learned its links: its own events, its TCP table, or (when the table
   * could not be read) its configured links. Absent in summaries from before lab observed links.
   */
  linkSources: z.record(peer, linkSourceSchema).optional(),
  snapshots: z.array(overlaySnapshotSchema),
  messages: z.array(messageResultSchema),
  forwards: z.array(forwardSchema),
  expectations: z.array(expectationResultSchema),
  latency: latencySummarySchema,
  /** Present when a loss, delay or rate fault was in force when some message was sent. */
  latencyUnderFaults: latencyUnderFaultsSchema.optional(),
  /** Each fault that silenced links, and when each end noticed. Absent in summaries from before detection times. */
  detections: z.array(detectionSchema).optional(),
  /** Payload frames per broadcast against the floor N − 1, per mode, and heal mode's repairs. Absent in summaries from before it. */
  cost: costSchema.optional(),
  check: checkSummarySchema,
  actions: z.array(actionSchema),
  /** Container changes the engine saw that no lab action explains: a crash, the OOM killer, a `docker kill`. */
  outsideLab: z.array(engineRecordSchema),
  /** The journal container when the run was saved: anything but "running" means `actions` may lack some. */
  journal: z.enum(JOURNAL_STATES),
  /** Why the run failed, in one line each (expectations and checker classes). */
  reasons: z.array(z.string()),
  /** Present when the lab was spread over several engines (docs/multi-host.md), the first holding the journal. */
  engines: z.array(engineSchema).optional(),
});

export type RunReport = z.infer<typeof runReportSchema>;
export type DeliveryCell = z.infer<typeof deliveryCellSchema>;
export type MessageResult = z.infer<typeof messageResultSchema>;
export type Forward = z.infer<typeof forwardSchema>;
export type OverlaySnapshot = z.infer<typeof overlaySnapshotSchema>;
export type ExpectationResult = z.infer<typeof expectationResultSchema>;
export type LatencySummary = z.infer<typeof latencySummarySchema>;
export type LatencyUnderFaults = z.infer<typeof latencyUnderFaultsSchema>;
export type Detection = z.infer<typeof detectionSchema>;
export type DetectionEnd = z.infer<typeof detectionEndSchema>;
export type CheckSummary = z.infer<typeof checkSummarySchema>;
export type Spread = z.infer<typeof spreadSchema>;
export type BroadcastCost = z.infer<typeof broadcastCostSchema>;
export type ModeCost = z.infer<typeof modeCostSchema>;
export type Repair = z.infer<typeof repairSchema>;
export type CostSummary = z.infer<typeof costSchema>;
export type EngineSummary = z.infer<typeof engineSchema>;

/** A summary.json's content checked against this version's shape; a problem names the field. */
export function parseRunReport(value: unknown): { ok: true; report: RunReport } | { ok: false; problem: string } {
  const version = typeof value === "object" && value !== null && "version" in value ? value.version : undefined;
  if (version === undefined) {
    return {
      ok: false,
      problem: `version: missing (summaries before version ${SUMMARY_VERSION} had none, or this is not a run summary)`,
    };
  }
  if (version !== SUMMARY_VERSION)
    return { ok: false, problem: `version: ${JSON.stringify(version)}, but this lab reads version ${SUMMARY_VERSION}` };
  const parsed = runReportSchema.safeParse(value);
  if (parsed.success) return { ok: true, report: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, problem: `${formatPath(issue.path) || "(the whole file)"}: ${issue.message}` };
}
