import { formatDuration, parseDuration } from "../../../peer/src/duration.js";
import { partitionsText } from "../check/overlay.js";
import type { OverlaySnapshot } from "../check/run-report.js";
import { sleep } from "../concurrency.js";
import { InputError, type LabError } from "../errors.js";
import {
  NETWORK_FAULT_NAMES,
  describeNetworkFault,
  describeNetworkState,
  groupsText,
  isNetworkFault,
  parseRate,
  randomPartition,
  type NetworkFaultName,
} from "../faults/network-faults.js";
import { PROCESS_FAULT_NAMES, type ProcessFaultName } from "../faults/process-faults.js";
import { control } from "../lab/control.js";
import type { Lab, LabSnapshot } from "../lab/lab.js";
import { describeLinkBack } from "../lab/links-back.js";
import { networkFault, type NetworkFaultRequest } from "../lab/network.js";
import { typeMessage, type Typed } from "../lab/send.js";
import { delayMs, type ExpectStep, type ScenarioStep, type StepAction } from "../topology/schema.js";
import { WaitTimeoutError, waitFor } from "../wait.js";
import {
  costScope,
  describeExpectation,
  explain,
  judge,
  type Observation,
  type SentMessage,
  type SentMessages,
} from "./expectations.js";

/** What a step hands back to the runner. */
export interface StepOutcome {
  ok: boolean;
  /** One line for the progress output. */
  summary: string;
  /** Why it failed: expected, seen, transcript lines. */
  detail?: string;
  /** Faults leave a picture of the overlay after them, for the report. */
  snapshot?: OverlaySnapshot;
  /** Expectations are listed in the report with their verdict. */
  isExpectation?: boolean;
}

export interface StepContext {
  lab: Lab;
  sent: SentMessages;
  /** Every message the scenario sent, in order. */
  sends: SentMessage[];
  /** Where in `sends` the next cost expectation starts by default: the first send after the previous one. */
  costFrom: number;
  /** The lab now and its timeline so far, as an expectation looks at them at each poll (from memory: see RecordingFollower). */
  observe(): Observation;
  /** Ctrl-C: waits end at once. */
  signal: AbortSignal;
}

type Handler<K extends StepAction> = (
  ctx: StepContext,
  step: Extract<ScenarioStep, Record<K, unknown>>,
) => Promise<StepOutcome>;

const DEFAULT_WITHIN_MS = 3000;
const POLL_MS = 250;
const FAULT_GRACE_SECONDS = 5;

export const DEFAULT_WITHIN = formatDuration(DEFAULT_WITHIN_MS);

/** A fault's step is the fault done to the peer it names, as `lab <fault>` does it. */
const faultHandler =
  <K extends ProcessFaultName>(name: K): Handler<K> =>
  (ctx, step) =>
    faultStep(ctx, name, (step as Record<K, string>)[name]);
const faultHandlers = Object.fromEntries(PROCESS_FAULT_NAMES.map((name) => [name, faultHandler(name)])) as unknown as {
  [K in ProcessFaultName]: Handler<K>;
};

/** A network fault's step is the fault `lab <fault>` does, asked with the step's values. */
const networkHandler =
  <K extends NetworkFaultName>(name: K): Handler<K> =>
  (ctx, step) =>
    networkStep(ctx, name, networkRequest(step as NetworkStep, ctx.lab.peerNames));
const networkHandlers = Object.fromEntries(
  NETWORK_FAULT_NAMES.map((name) => [name, networkHandler(name)]),
) as unknown as {
  [K in NetworkFaultName]: Handler<K>;
};

/** One handler per action: a new step is one entry here and one in the schema's STEP_SCHEMAS. */
const handlers: { [K in StepAction]: Handler<K> } = {
  send: async (ctx, step) => sendStep(ctx, step.send),
  wait: async (ctx, step) => {
    await sleep(parseDuration(step.wait)!, ctx.signal);
    return { ok: true, summary: `waited ${step.wait}` };
  },
  ...faultHandlers,
  ...networkHandlers,
  expect: (ctx, step) => expectStep(ctx, step.expect),
};

export function actionOf(step: ScenarioStep): StepAction {
  return Object.keys(step).find((key) => key !== "at") as StepAction;
}

export function runStep(ctx: StepContext, step: ScenarioStep): Promise<StepOutcome> {
  const handler = handlers[actionOf(step)] as Handler<StepAction>;
  return handler(ctx, step as never);
}

export function describeStep(step: ScenarioStep): string {
  if ("send" in step) return `send from ${step.send.from}: ${step.send.text}`;
  if ("wait" in step) return `wait ${step.wait}`;
  if ("expect" in step) return describeExpectation(step.expect);
  const action = actionOf(step);
  if (isNetworkFault(action)) return describeNetworkStep(step as NetworkStep);
  return `${action} ${(step as Record<string, string>)[action]}`;
}

async function sendStep(
  ctx: StepContext,
  send: { from: string; text: string; as?: string | undefined },
): Promise<StepOutcome> {
  let typed: Typed;
  try {
    typed = await typeMessage(ctx.lab, send.from, send.text, ctx.signal);
  } catch (error) {
    if (error instanceof WaitTimeoutError) {
      return { ok: false, summary: `${send.from} did not report sending "${send.text}"`, detail: failureDetail(error) };
    }
    if (!(error instanceof InputError)) throw error;
    return { ok: false, summary: `cannot send from ${send.from}`, detail: failureDetail(error) };
  }
  const message = { id: typed.id, from: send.from, text: send.text };
  ctx.sends.push(message);
  ctx.sent.set(send.text, message);
  if (send.as) ctx.sent.set(send.as, message);
  return {
    ok: true,
    summary: `${send.from} sent "${send.text}" (${typed.id}) to ${typed.to === undefined ? "its neighbours (it does not say which)" : typed.to.length ? typed.to.join(", ") : "no neighbour"}`,
  };
}

/** A refused or unanswered step, in one line: what went wrong (what to look at). */
function failureDetail(error: LabError): string {
  return `${error.message}${error.hint ? ` (${error.hint})` : ""}`;
}

async function faultStep(ctx: StepContext, action: ProcessFaultName, peer: string): Promise<StepOutcome> {
  try {
    const result = await control(ctx.lab, action, peer, FAULT_GRACE_SECONDS, ctx.signal);
    const notBack = (result.links ?? [])
      .filter((link) => !link.back)
      .map((link) => `; not back: ${describeLinkBack(link)}`);
    return {
      ok: true,
      summary: `${result.did}; partitions ${partitionsText(result.partitionsAfter)}${notBack.join("")}`,
      snapshot: overlaySnapshot(`after ${action} ${peer}`, result.after),
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { ok: false, summary: `${action} ${peer} refused`, detail: failureDetail(error) };
  }
}

type NetworkStep = { [K in NetworkFaultName]: Extract<ScenarioStep, Record<K, unknown>> }[NetworkFaultName];

/** What a network step asks, as `lab <fault>` would be asked it; a random partition drawn from the lab's peers. */
export function networkRequest(step: NetworkStep, peers: string[]): NetworkFaultRequest {
  if ("partition" in step) {
    if (step.partition !== "random") return { kind: "partition", groups: step.partition };
    const seed = step.seed ?? 1;
    return { kind: "partition", groups: randomPartition(peers, seed, step.groups ?? 2), seed };
  }
  if ("heal" in step) return { kind: "heal" };
  if ("cut" in step) return { kind: "cut", from: step.cut[0], to: step.cut[1], oneWay: step.oneWay === true };
  if ("link" in step) return { kind: "link", from: step.link[0], to: step.link[1], oneWay: step.oneWay === true };
  const to = (value: { to?: string | undefined }) => (value.to === undefined ? {} : { to: value.to });
  if ("loss" in step) return { kind: "loss", peer: step.loss.peer, percent: step.loss.percent, ...to(step.loss) };
  if ("delay" in step) {
    const { peer, by, jitter } = step.delay;
    return {
      kind: "delay",
      peer,
      ms: delayMs(by)!,
      jitterMs: delayMs(jitter ?? 0)!,
      ...to(step.delay),
    };
  }
  const { limit } = step.rate;
  return { kind: "rate", peer: step.rate.peer, kbit: limit === 0 ? 0 : parseRate(limit)! };
}

function describeNetworkStep(step: NetworkStep): string {
  if ("partition" in step) {
    return step.partition === "random"
      ? `partition at random into ${step.groups ?? 2} groups (seed ${step.seed ?? 1})`
      : `partition ${groupsText(step.partition)}`;
  }
  if ("heal" in step) return "heal the network";
  if ("cut" in step || "link" in step) {
    const [a, b] = "cut" in step ? step.cut : step.link;
    return `${"cut" in step ? "cut" : "link"} ${a} ${step.oneWay ? "→" : "↔"} ${b}${step.oneWay ? " (one way)" : ""}`;
  }
  const to = (value: { to?: string | undefined }) => (value.to === undefined ? "" : ` to ${value.to}`);
  if ("loss" in step) return `loss ${step.loss.percent}% on ${step.loss.peer}${to(step.loss)}`;
  if ("delay" in step) {
    const { peer, by, jitter } = step.delay;
    return `delay ${peer}${to(step.delay)} by ${by}${jitter ? ` ± ${jitter}` : ""}`;
  }
  return `rate ${step.rate.limit} on ${step.rate.peer}`;
}

async function networkStep(
  ctx: StepContext,
  name: NetworkFaultName,
  request: NetworkFaultRequest,
): Promise<StepOutcome> {
  try {
    const result = await networkFault(ctx.lab, request, ctx.signal);
    return {
      ok: true,
      summary: `${result.did}; partitions ${partitionsText(result.partitionsAfter)}${result.note ? ` (${result.note})` : ""}`,
      snapshot: overlaySnapshot(`after ${describeNetworkFault(result.fault)}`, result.after),
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { ok: false, summary: `${name} refused`, detail: failureDetail(error) };
  }
}

async function expectStep(ctx: StepContext, expect: ExpectStep): Promise<StepOutcome> {
  const withinMs = parseDuration(expect.within ?? DEFAULT_WITHIN)!;
  const description = describeExpectation(expect);
  const started = Date.now();
  const scope = expect.cost ? costScope(expect.cost, ctx.sends, ctx.sent, ctx.costFrom) : undefined;
  if (expect.cost) ctx.costFrom = ctx.sends.length;
  // Checked until it is settled; the last check, at the end of `within`, judges it for good, so the wait never times out.
  const { verdict, waited } = await waitFor(
    async () => {
      const waited = Date.now() - started;
      const windowOver = waited >= withinMs;
      const verdict = judge(expect, ctx.observe(), ctx.sent, windowOver, scope);
      return verdict.settled || windowOver ? { verdict, waited } : undefined;
    },
    { what: description, intervalMs: POLL_MS, timeoutMs: withinMs, signal: ctx.signal },
  );
  return verdict.ok
    ? { ok: true, summary: description, isExpectation: true }
    : { ok: false, summary: description, detail: explain(verdict, waited), isExpectation: true };
}

/** The overlay for the report: states, links, the links the network drops and the faults in force, partitions. */
export function overlaySnapshot(label: string, snapshot: LabSnapshot): OverlaySnapshot {
  return {
    label,
    at: new Date().toISOString(),
    states: Object.fromEntries(snapshot.peers.map((peer) => [peer.name, peer.status])),
    links: snapshot.overlay.links,
    cut: snapshot.overlay.cut,
    network: describeNetworkState(snapshot.network),
    partitions: snapshot.overlay.partitions,
  };
}
