import { parseDuration } from "../../../peer/src/duration.js";
import type { ExpectationResult, OverlaySnapshot } from "../check/run-report.js";
import { sleep } from "../concurrency.js";
import { recordingTimeline, type Lab } from "../lab/lab.js";
import { RecordingFollower } from "../lab/recording-follower.js";
import type { ScenarioStep } from "../topology/schema.js";
import type { Observation } from "./expectations.js";
import { describeStep, overlaySnapshot, runStep, type StepContext, type StepOutcome } from "./steps.js";

export interface ScenarioResult {
  /** Every expectation, and every other step that failed. */
  expectations: ExpectationResult[];
  /** The overlay before the run and after each fault. */
  snapshots: OverlaySnapshot[];
}

export interface ScenarioOptions {
  signal: AbortSignal;
  onStep(index: number, total: number, step: ScenarioStep, outcome: StepOutcome): void;
}

/** Runs the steps in order; a step with `at` waits for that time from the scenario's start. */
export async function runScenario(lab: Lab, steps: ScenarioStep[], options: ScenarioOptions): Promise<ScenarioResult> {
  // Read from the engine, whole: a new follow replays each log from its start, and until it has,
  // the follower would draw a lab with no link up yet.
  const before = overlaySnapshot("before the run", await lab.snapshot());
  const following = await RecordingFollower.start(lab);
  // The steps' own reads of the lab are answered from the follows too: a step costs the engine what it touches.
  lab.follow(following);
  try {
    return await runSteps(lab, steps, options, following, before);
  } finally {
    lab.unfollow();
    await following.close();
  }
}

/** The steps in order, the expectations looking at the lab through `following`. */
async function runSteps(
  lab: Lab,
  steps: ScenarioStep[],
  options: ScenarioOptions,
  following: RecordingFollower,
  before: OverlaySnapshot,
): Promise<ScenarioResult> {
  const observe = (): Observation => {
    const recording = following.recording();
    return { snapshot: following.snapshot(recording), timeline: recordingTimeline(recording) };
  };
  const context: StepContext = { lab, sent: new Map(), sends: [], costFrom: 0, signal: options.signal, observe };
  const snapshots = [before];
  const expectations: ExpectationResult[] = [];
  const start = Date.now();
  for (const [index, step] of steps.entries()) {
    options.signal.throwIfAborted();
    if (step.at !== undefined) {
      const due = start + parseDuration(step.at)!;
      if (due > Date.now()) await sleep(due - Date.now(), options.signal);
    }
    const at = new Date().toISOString();
    const outcome = await runStep(context, step);
    options.onStep(index, steps.length, step, outcome);
    if (outcome.snapshot) snapshots.push(outcome.snapshot);
    if (outcome.isExpectation || !outcome.ok) {
      expectations.push({
        step: index + 1,
        description: describeStep(step),
        ok: outcome.ok,
        detail: outcome.detail ?? "",
        at,
      });
    }
  }
  return { expectations, snapshots };
}
