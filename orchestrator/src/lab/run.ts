import { checkDeliveries } from "../check/checker.js";
import { changesOutsideLab } from "../check/timeline-state.js";
import type { RunReport } from "../report/model.js";
import type { Runtime } from "../runtime/runtime.js";
import { runScenario, type ScenarioOptions } from "../scenario/runner.js";
import type { Topology } from "../topology/schema.js";
import { down } from "./down.js";
import { checkResultsDir, describeSaved, saveResults, type SavedResults } from "./results.js";
import { settle } from "./settle.js";
import { recordingTimeline } from "./lab.js";
import { up, type UpOptions } from "./up.js";

export interface RunOptions extends Omit<UpOptions, "onFailure"> {
  /** Leave the lab running afterwards. */
  keep: boolean;
  onStep: ScenarioOptions["onStep"];
}

export interface RunOutcome {
  report: RunReport;
  saved: SavedResults;
}

/**
 * `lab run`: up, the scenario, every transcript saved, the checker, the report, down. The
 * transcripts are written before anything is removed, whatever happened in between; where they
 * are written is checked before anything is started.
 */
export async function runLab(runtime: Runtime, topology: Topology, options: RunOptions): Promise<RunOutcome> {
  await checkResultsDir(options.resultsDir);
  const startedAt = new Date().toISOString();
  const { lab } = await up(runtime, topology, { ...options, onFailure: options.keep ? "leave" : "remove" });
  let saved: SavedResults | undefined;
  try {
    await lab.watchEngine();
    const scenario = await runScenario(lab, topology.scenario, { signal: options.signal, onStep: options.onStep });
    await settle(lab, options.signal);
    const recording = await lab.recording();
    const timeline = recordingTimeline(recording);
    const checked = checkDeliveries(topology, timeline);
    const failedExpectations = scenario.expectations.filter((e) => !e.ok);
    const reasons = [
      ...failedExpectations.map((e) => `step ${e.step} failed: ${e.description}`),
      ...checked.check.failing.map((c) => `${checked.check.counts[c]} ${c} ${checked.check.counts[c] === 1 ? "delivery" : "deliveries"} (check level: fail)`),
    ];
    const report: RunReport = {
      lab: topology.name,
      description: topology.description,
      file: topology.file,
      startedAt,
      finishedAt: new Date().toISOString(),
      verdict: reasons.length === 0 ? "pass" : "fail",
      peers: topology.peers.map((peer) => peer.name),
      links: topology.links,
      snapshots: scenario.snapshots,
      ...checked,
      expectations: scenario.expectations,
      actions: recording.actions,
      outsideLab: changesOutsideLab(timeline),
      journal: recording.journal,
      reasons,
    };
    saved = await saveResults(options.resultsDir, topology.name, recording, report);
    return { report, saved };
  } finally {
    await lab.stopWatchingEngine();
    if (!options.keep || options.signal.aborted) {
      // Saved above on the normal path; on any other path, saved here before removal.
      const removed = await down(runtime, topology.name, { save: saved === undefined, resultsDir: options.resultsDir });
      if (removed.savedTo) options.progress(describeSaved("transcripts", removed.savedTo, removed.fallbackReason));
    }
  }
}
