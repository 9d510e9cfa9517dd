import type { Topology } from "../topology/schema.js";
import type { Action, JournalState } from "../transcript/journal.js";
import type { TimelineRecord } from "../transcript/transcript.js";
import { checkDeliveries } from "./checker.js";
import { costSummary } from "./cost.js";
import { detectionTimes } from "./detection.js";
import {
  SUMMARY_VERSION,
  type EngineSummary,
  type ExpectationResult,
  type OverlaySnapshot,
  type RunReport,
} from "./run-report.js";
import { changesOutsideLab, linkSourcesOf } from "./timeline-state.js";

export interface RunRecord {
  topology: Topology;
  startedAt: string;
  finishedAt: string;
  /** The peers' events, the lab's actions and the engine's container changes, merged by time. */
  timeline: TimelineRecord[];
  /** The lab's actions: those in the journal, and those the run did itself. */
  actions: Action[];
  journal: JournalState;
  /** What the scenario saw: its expectations (and failed steps), and the overlay before the run and after each fault. */
  scenario: { expectations: ExpectationResult[]; snapshots: OverlaySnapshot[] };
}

/** A finished run judged: the checker over its timeline, the scenario's expectations, the verdict and why. */
export function buildRunReport(run: RunRecord): RunReport {
  const { topology, timeline, scenario } = run;
  const checked = checkDeliveries(topology, timeline);
  const peers = topology.peers.map((peer) => peer.name);
  const failedExpectations = scenario.expectations.filter((e) => !e.ok);
  const reasons = [
    ...failedExpectations.map((e) => `step ${e.step} failed: ${e.description}`),
    ...checked.check.failing.map(
      (c) =>
        `${checked.check.counts[c]} ${c} ${checked.check.counts[c] === 1 ? "delivery" : "deliveries"} (check level: fail)`,
    ),
  ];
  return {
    version: SUMMARY_VERSION,
    lab: topology.name,
    description: topology.description,
    file: topology.file,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    verdict: reasons.length === 0 ? "pass" : "fail",
    peers,
    links: topology.links,
    linkSources: linkSourcesOf(peers, timeline),
    snapshots: scenario.snapshots,
    ...checked,
    cost: costSummary(topology, checked.messages, timeline),
    detections: detectionTimes(peers, timeline),
    expectations: scenario.expectations,
    actions: run.actions,
    outsideLab: changesOutsideLab(timeline),
    journal: run.journal,
    reasons,
    ...(topology.engines ? { engines: enginesOf(topology) } : {}),
  };
}

/** A spread lab's engines: which peers each held, and its clock offset as `up` measured it. */
function enginesOf(topology: Topology): EngineSummary[] {
  return (topology.engines ?? []).map((name) => {
    const offset = topology.clockOffsets?.[name];
    return {
      name,
      peers: topology.peers.filter((peer) => peer.placement === name).map((peer) => peer.name),
      clockOffsetMs: offset?.offsetMs ?? 0,
      uncertaintyMs: offset?.uncertaintyMs ?? 0,
    };
  });
}
