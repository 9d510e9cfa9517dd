import { buildRunReport } from "../check/build-run-report.js";
import type { RunReport } from "../check/run-report.js";
import { down } from "../lab/down.js";
import { recordingTimeline } from "../lab/lab.js";
import { checkResultsDir, describeSaved, saveResults, type SavedResults } from "../lab/results.js";
import { settle } from "../lab/settle.js";
import { up, type UpOptions } from "../lab/up.js";
import { writeReport } from "../report/files.js";
import type { Runtime } from "../runtime/runtime.js";
import { runScenario, type ScenarioOptions } from "../scenario/runner.js";
import type { Topology } from "../topology/schema.js";

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
    // The links of peers that report none, observed before the scenario's first look and all through it.
    await lab.recordObservedLinks();
    lab.watchLinks();
    const scenario = await runScenario(lab, topology.scenario, { signal: options.signal, onStep: options.onStep });
    await settle(lab, options.signal);
    await lab.stopWatchingLinks();
    await lab.recordObservedLinks();
    const recording = await lab.recording();
    const report = buildRunReport({
      // As the lab keeps it: on several engines, with their clock offsets measured at up.
      topology: lab.topology,
      startedAt,
      finishedAt: new Date().toISOString(),
      timeline: recordingTimeline(recording),
      actions: recording.actions,
      journal: recording.journal,
      scenario,
    });
    saved = await saveResults(options.resultsDir, options.resultsName ?? topology.name, recording, (dir) =>
      writeReport(dir, report),
    );
    return { report, saved };
  } finally {
    await lab.stopWatchingEngine();
    // The normal path stopped it above and said why a poll failed; after another error, that one is the news.
    await lab.stopWatchingLinks().catch(() => {});
    if (!options.keep || options.signal.aborted) {
      // Saved above on the normal path; on any other path, saved here before removal.
      const removed = await down(runtime, topology.name, {
        save: saved === undefined,
        resultsDir: options.resultsDir,
        ...(options.resultsName ? { resultsName: options.resultsName } : {}),
      });
      if (removed.savedTo) options.progress(describeSaved("transcripts", removed.savedTo, removed.fallbackReason));
    }
  }
}
