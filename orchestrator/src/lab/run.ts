import { checkDeliveries } from "../check/checker.js";
import { changesOutsideLab } from "../check/timeline-state.js";
import type { RunReport } from "../report/model.js";
import type { Runtime } from "../runtime/runtime.js";
import { runScenario, type ScenarioOptions } from "../scenario/runner.js";
import type { Topology } from "../topology/schema.js";
import { down } from "./down.js";
import { saveRecording, writeReport } from "./results.js";
import { settle } from "./settle.js";
import { Lab, recordingTimeline } from "./lab.js";
import { up, type UpOptions } from "./up.js";

export interface RunOptions extends UpOptions {
  /** Leave the lab running afterwards. */
  keep: boolean;
  onStep: ScenarioOptions["onStep"];
}

export interface RunOutcome {
  report: RunReport;
  dir: string;
}

/**
 * `lab run`: up, the scenario, every transcript saved, the checker, the report, down. The
 * transcripts are written before anything is removed, whatever happened in between.
 */
export async function runLab(runtime: Runtime, topology: Topology, options: RunOptions): Promise<RunOutcome> {
  const startedAt = new Date().toISOString();
  const lab = await upOrCleanUp(runtime, topology, options);
  let dir: string | undefined;
  try {
    await lab.watchEngine();
    const scenario = await runScenario(lab, topology.scenario, { signal: options.signal, onStep: options.onStep });
    await settle(lab);
    const recording = await lab.recording();
    dir = await saveRecording(options.resultsDir, topology.name, recording);
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
    await writeReport(dir, report);
    return { report, dir };
  } finally {
    await lab.stopWatchingEngine();
    if (!options.keep || options.signal.aborted) {
      // Saved above on the normal path; on any other path, saved here before removal.
      await down(runtime, topology.name, { save: dir === undefined, resultsDir: options.resultsDir });
    }
  }
}

/**
 * `up`, and when it fails after creating part of the lab (links not wired in time, a peer that
 * exits early), the transcripts are saved and the lab removed, unless --keep. A lab of that name
 * that was already running is not this run's, and is never touched.
 */
async function upOrCleanUp(runtime: Runtime, topology: Topology, options: RunOptions): Promise<Lab> {
  const existed = (await Lab.names(runtime)).includes(topology.name);
  try {
    return (await up(runtime, topology, options)).lab;
  } catch (error) {
    const createdSome = !existed && (await Lab.names(runtime)).includes(topology.name);
    if (createdSome && !options.keep) await down(runtime, topology.name, { save: true, resultsDir: options.resultsDir });
    throw error;
  }
}
