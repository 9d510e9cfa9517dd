import { InputError } from "../../errors.js";
import {
  RATE_EXAMPLES,
  parsePercent,
  parseRate,
  parseGroups,
  randomPartition,
  PartitionProblem,
} from "../../faults/network-faults.js";
import { Lab } from "../../lab/lab.js";
import { networkFault, type NetworkFaultRequest, type NetworkResult } from "../../lab/network.js";
import { durationFlag, type Context } from "../context.js";
import type { Colors } from "../output.js";
import type { OptionsOf } from "../program.js";
import { renderJournalWarning, renderPartitionChange } from "../render.js";

type LabOptions = { lab?: string; json?: true };

/** A network fault as the CLI's words ask it: built once the lab is known when it draws from the lab's peers (a random partition). */
export type FaultAsked = NetworkFaultRequest | ((lab: Lab) => NetworkFaultRequest);

/**
 * Finds the lab, does the fault and prints what changed. The request is built once the lab is
 * known (a random partition draws from its peers); what needs no lab is checked before the
 * engine is asked anything.
 */
async function doFault(ctx: Context, options: LabOptions, request: FaultAsked): Promise<void> {
  const lab = await Lab.find(await ctx.runtime(), options.lab);
  const result = await doNetworkFault(lab, request, ctx.signal);
  if (options.json) {
    const { after, ...rest } = result;
    ctx.out.json({ ...rest, snapshot: after });
    return;
  }
  ctx.out.lines(networkLines(result, ctx.out.color));
}

/** Does a fault asked in the CLI's words to a lab: `lab <fault>` and `lab ui`'s controls. */
export function doNetworkFault(lab: Lab, request: FaultAsked, signal: AbortSignal): Promise<NetworkResult> {
  return networkFault(lab, typeof request === "function" ? request(lab) : request, signal);
}

/** What `lab <fault>` prints of its result. */
export function networkLines(result: NetworkResult, c: Colors): string[] {
  return [
    result.did,
    ...(result.note ? [c.dim(`delay here: ${result.note}`)] : []),
    result.inForce.length ? `network faults in force: ${result.inForce.join("; ")}` : "network faults in force: none",
    ...(result.waiting.length
      ? [c.yellow(`not running: they get theirs when they start or resume: ${result.waiting.join(", ")}`)]
      : []),
    renderPartitionChange(result.partitionsBefore, result.partitionsAfter, c),
    ...renderJournalWarning(result.after.journal, c),
  ];
}

export function partitionCommand(ctx: Context, words: string[], options: OptionsOf<"partition">): Promise<void> {
  return doFault(ctx, options, partitionRequest(words, options));
}

/** `lab partition`'s words: the groups named, or drawn at random. */
export function partitionRequest(
  words: string[],
  options: { random?: true; seed?: string; groups?: string },
): FaultAsked {
  if (options.random) {
    if (words.length) throw new InputError("name the groups or ask for --random, not both");
    const seed = wholeNumber("--seed", options.seed ?? "1", 0);
    const count = wholeNumber("--groups", options.groups ?? "2", 2);
    return (lab) => {
      try {
        return { kind: "partition", groups: randomPartition(lab.peerNames, seed, count), seed };
      } catch (error) {
        if (!(error instanceof PartitionProblem)) throw error;
        throw new InputError(`cannot partition lab ${lab.name}: ${error.message}`, "ask for fewer --groups");
      }
    };
  }
  if (options.seed !== undefined || options.groups !== undefined) {
    throw new InputError("--seed and --groups are for a random partition", "add --random, or leave them out");
  }
  if (words.length === 0) {
    throw new InputError(
      "name the groups: lab partition alice,bob / carol,dave",
      "or pick them: lab partition --random",
    );
  }
  try {
    return { kind: "partition", groups: parseGroups(words.join(" ")) };
  } catch (error) {
    if (!(error instanceof PartitionProblem)) throw error;
    throw new InputError(error.message);
  }
}

export function healCommand(ctx: Context, options: OptionsOf<"heal">): Promise<void> {
  return doFault(ctx, options, { kind: "heal" });
}

export function pairCommand(
  ctx: Context,
  kind: "cut" | "link",
  from: string,
  to: string,
  options: OptionsOf<"cut">,
): Promise<void> {
  return doFault(ctx, options, pairRequest(kind, from, to, options));
}

/** `lab cut` and `lab link`'s words. */
export function pairRequest(
  kind: "cut" | "link",
  from: string,
  to: string,
  options: { oneWay?: true },
): NetworkFaultRequest {
  return { kind, from, to, oneWay: options.oneWay === true };
}

export function lossCommand(ctx: Context, peer: string, text: string, options: OptionsOf<"loss">): Promise<void> {
  return doFault(ctx, options, lossRequest(peer, text, options));
}

/** `lab loss`'s words. */
export function lossRequest(peer: string, text: string, options: { to?: string }): NetworkFaultRequest {
  const percent = parsePercent(text);
  if (percent === undefined) {
    throw new InputError(`"${text}" is not a share of packets`, "give a percentage from 0 to 100, e.g. 10 or 10%");
  }
  return { kind: "loss", peer, percent, ...(options.to ? { to: options.to } : {}) };
}

export function delayCommand(ctx: Context, peer: string, text: string, options: OptionsOf<"delay">): Promise<void> {
  return doFault(ctx, options, delayRequest(peer, text, options));
}

/** `lab delay`'s words. */
export function delayRequest(
  peer: string,
  text: string,
  options: { jitter: string; to?: string },
): NetworkFaultRequest {
  // 0 removes a delay: it needs no unit.
  const ms = text === "0" ? 0 : durationFlag("the delay", text);
  const jitterMs = options.jitter === "0" ? 0 : durationFlag("--jitter", options.jitter);
  if (jitterMs > ms) {
    throw new InputError(`--jitter (${options.jitter}) is larger than the delay (${text})`, "give a smaller jitter");
  }
  return { kind: "delay", peer, ms, jitterMs, ...(options.to ? { to: options.to } : {}) };
}

export function rateCommand(ctx: Context, peer: string, text: string, options: OptionsOf<"rate">): Promise<void> {
  return doFault(ctx, options, rateRequest(peer, text));
}

/** `lab rate`'s words. */
export function rateRequest(peer: string, text: string): NetworkFaultRequest {
  const kbit = parseRate(text);
  if (kbit === undefined) throw new InputError(`"${text}" is not a rate`, `give one such as ${RATE_EXAMPLES}`);
  return { kind: "rate", peer, kbit };
}

function wholeNumber(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InputError(`${flag} ${text} is not a whole number of at least ${min}`);
  }
  return value;
}
