import { formatDuration } from "../../peer/src/duration.js";
import { CheckFailedError } from "./errors.js";

/**
 * Every wait of the lab on something it does not control (a peer's event, links coming up, the
 * peers falling quiet, an expectation holding): one shape, so each gives up the same way, saying
 * what it waited for, and each ends at once on Ctrl-C.
 */
export interface WaitOptions {
  /** What is awaited, in words that fit "<what> not seen after 5s". */
  what: string;
  /** What to look at when it is not seen: the timeout's fix. */
  hint?: string;
  /** How often the condition is checked. */
  intervalMs: number;
  /** How long it is checked before the wait gives up. */
  timeoutMs: number;
  /** Ctrl-C: the wait ends at once, rejecting with the signal's reason. */
  signal: AbortSignal;
  /** Checks again as soon as it is poked, not only every interval: for waits on a stream of events. */
  nudge?: Nudge;
}

/** A wait that gave up: exit 1, as something the lab looked for did not happen. */
export class WaitTimeoutError extends CheckFailedError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    hint?: string,
  ) {
    super(`${what} not seen after ${formatDuration(timeoutMs)}`, hint);
  }
}

/** Wakes a wait early: whoever feeds it events pokes it when something it waits on may have changed. */
export class Nudge {
  private count = 0;
  private readonly waiters = new Set<() => void>();

  poke(): void {
    this.count += 1;
    for (const wake of this.waiters) wake();
  }

  /** How many pokes so far: a wait compares it across a check, so a poke during the check is not lost. */
  get pokes(): number {
    return this.count;
  }

  /** Calls `wake` at each poke until the returned function is called. */
  listen(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}

/**
 * Checks `until` at once, then every interval, until it gives a value other than undefined, and
 * returns that value. The last check starts once the time is up; when it gives nothing either, throws
 * WaitTimeoutError. Throws the signal's reason as soon as it aborts. A check in progress is never cut short.
 */
export async function waitFor<T>(
  until: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const { signal } = options;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const pokes = options.nudge?.pokes;
    const last = Date.now() >= deadline;
    const value = await until();
    if (value !== undefined) return value;
    if (last) throw new WaitTimeoutError(options.what, options.timeoutMs, options.hint);
    if (options.nudge?.pokes === pokes)
      await pause(Math.max(0, Math.min(options.intervalMs, deadline - Date.now())), signal, options.nudge);
  }
}

/**
 * Runs `tick` at once and then every interval until the signal aborts, and returns then (not an
 * error: `watch` and `logs -f` run until Ctrl-C). A tick in progress is never cut short.
 */
export async function everyUntilAborted(
  intervalMs: number,
  signal: AbortSignal,
  tick: () => Promise<void>,
): Promise<void> {
  while (!signal.aborted) {
    await tick();
    await pause(intervalMs, signal).catch(() => {});
  }
}

/** Resolves after `ms`, or at the nudge's next poke; rejects with the signal's reason as soon as it aborts. */
function pause(ms: number, signal: AbortSignal, nudge?: Nudge): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const end = (outcome: () => void) => (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      stopListening?.();
      outcome();
    };
    const onAbort = end(() => reject(signal.reason));
    const timer = setTimeout(end(resolve), ms);
    const stopListening = nudge?.listen(end(resolve));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves once the signal aborts (at once when it has): commands that serve or show until Ctrl-C. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
