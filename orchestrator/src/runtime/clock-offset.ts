import { EnvironmentError } from "../errors.js";
import type { Runtime } from "./runtime.js";

/**
 * An engine's clock against this process's. Peers on several machines stamp their events with
 * their own machine's clock; merged on one timeline, a machine whose clock runs 40 ms ahead
 * makes every message from it look 40 ms late and every message to it 40 ms early (a negative
 * latency). The engine tells its time (GET /info's SystemTime, to the nanosecond): asked between
 * two readings of this process's clock, it was read somewhere in that round trip, so the offset
 * is its time minus the round trip's midpoint, give or take half the round trip (as NTP's simplest
 * exchange estimates it). Of a few samples the one with the shortest round trip is the tightest.
 */

export interface ClockSample {
  /** This process's clock when the request went out, and when the answer came back (ms since the epoch). */
  sentMs: number;
  receivedMs: number;
  /** The engine's clock as it answered: ISO, to the nanosecond on Docker. */
  engineTime: string;
}

export interface ClockOffset {
  /** The engine's clock minus this process's (ms): positive when the engine runs ahead. */
  offsetMs: number;
  /** How far off offsetMs may be: half the round trip of the sample it came from (ms). */
  uncertaintyMs: number;
}

/** Samples taken per engine: a round trip of a few ms each, at `up`. */
export const CLOCK_SAMPLES = 5;

/** An engine's ISO time in ms since the epoch, keeping the digits past the ms that Date.parse drops. */
export function parseEngineTime(iso: string): number {
  const parts = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  const whole = parts ? Date.parse(`${parts[1]}${parts[3]}`) : NaN;
  if (!parts || Number.isNaN(whole)) {
    throw new EnvironmentError(`the engine told its time as "${iso}", which is not an ISO time`);
  }
  return whole + Number(`0${parts[2] ?? ""}`) * 1000;
}

/** The offset the sample with the shortest round trip gives. */
export function estimateClockOffset(samples: ClockSample[]): ClockOffset {
  if (samples.length === 0) throw new Error("estimateClockOffset needs at least one sample");
  const best = samples.reduce((a, b) => (b.receivedMs - b.sentMs < a.receivedMs - a.sentMs ? b : a));
  return {
    offsetMs: parseEngineTime(best.engineTime) - (best.sentMs + best.receivedMs) / 2,
    uncertaintyMs: (best.receivedMs - best.sentMs) / 2,
  };
}

/** This process's wall clock to a fraction of a ms, as peers stamp their events (peer/src/main.ts). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Asks the engine its time `samples` times, one after the other, and estimates its offset. */
export async function measureClockOffset(
  engine: Pick<Runtime, "engineTime">,
  samples = CLOCK_SAMPLES,
  now: () => number = wallClockMs,
): Promise<ClockOffset> {
  const taken: ClockSample[] = [];
  for (let i = 0; i < samples; i++) {
    const sentMs = now();
    const engineTime = await engine.engineTime();
    taken.push({ sentMs, engineTime, receivedMs: now() });
  }
  return estimateClockOffset(taken);
}

/**
 * What to subtract from the engine's times: the offset, or nothing when the estimate cannot tell
 * it from zero (|offset| within its uncertainty), as on one machine, where every engine shares
 * the clock and a correction would only add the measurement's noise between engines.
 */
export function correctionMs(offset: ClockOffset): number {
  return Math.abs(offset.offsetMs) > offset.uncertaintyMs ? offset.offsetMs : 0;
}

/** A time an engine (or a peer on it) stamped, put on this process's clock: ISO to the ms. */
export function onLabClock(iso: string, offset: ClockOffset): string {
  const correction = correctionMs(offset);
  return correction === 0 ? iso : new Date(Math.round(parseEngineTime(iso) - correction)).toISOString();
}

/** A peer event put on this process's clock: `tsUs` to the µs when it has one, `ts` as the same moment to the ms. */
export function eventOnLabClock<E extends { ts: string; tsUs?: number }>(event: E, offset: ClockOffset): E {
  const correction = correctionMs(offset);
  if (correction === 0) return event;
  if (event.tsUs === undefined) return { ...event, ts: onLabClock(event.ts, offset) };
  const tsUs = Math.round(event.tsUs - correction * 1000);
  return { ...event, tsUs, ts: new Date(Math.floor(tsUs / 1000)).toISOString() };
}

/** "+12.35 ms ± 0.41 ms": for `up`'s output and the report. */
export function formatClockOffset(offset: ClockOffset): string {
  const sign = offset.offsetMs < 0 ? "−" : "+";
  return `${sign}${Math.abs(offset.offsetMs).toFixed(2)} ms ± ${offset.uncertaintyMs.toFixed(2)} ms`;
}
