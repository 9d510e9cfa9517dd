import { afterEach, describe, expect, it } from "vitest";
import { MemoryLabs } from "../../../test/support/memory-lab.js";
import { EnvironmentError } from "../errors.js";
import {
  CLOCK_SAMPLES,
  correctionMs,
  estimateClockOffset,
  eventOnLabClock,
  formatClockOffset,
  measureClockOffset,
  onLabClock,
  parseEngineTime,
} from "./clock-offset.js";

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

/** 2026-11-26T06:48:12Z in ms. */
const T = Date.parse("2026-11-26T06:48:12Z");
const iso = (ms: number): string => new Date(ms).toISOString();

describe("parseEngineTime", () => {
  it("keeps the digits past the millisecond that Date.parse drops", () => {
    expect(parseEngineTime("2026-11-26T06:48:12.615962769Z") - T).toBeCloseTo(615.962769, 3); // a double holds ms since 1970 to ~0.2 µs
    expect(parseEngineTime("2026-11-26T07:48:12.5+01:00") - T).toBeCloseTo(500, 9);
    expect(parseEngineTime("2026-11-26T06:48:12Z")).toBe(T);
  });

  it("anything else: an EnvironmentError quoting what the engine said", () => {
    expect(() => parseEngineTime("yesterday")).toThrow(EnvironmentError);
    expect(() => parseEngineTime("yesterday")).toThrow(
      'the engine told its time as "yesterday", which is not an ISO time',
    );
  });
});

describe("estimateClockOffset", () => {
  it("takes the sample with the shortest round trip: engine time minus the trip's midpoint, ± half the trip", () => {
    const offset = estimateClockOffset([
      { sentMs: T, receivedMs: T + 10, engineTime: iso(T + 5 + 40) },
      { sentMs: T + 20, receivedMs: T + 22, engineTime: iso(T + 21 + 25) },
      { sentMs: T + 30, receivedMs: T + 36, engineTime: iso(T + 33 + 30) },
    ]);
    expect(offset).toEqual({ offsetMs: 25, uncertaintyMs: 1 });
  });

  it("an engine behind this process: a negative offset", () => {
    expect(estimateClockOffset([{ sentMs: T, receivedMs: T + 4, engineTime: iso(T + 2 - 1500) }])).toEqual({
      offsetMs: -1500,
      uncertaintyMs: 2,
    });
  });
});

describe("measureClockOffset", () => {
  it("asks the engine CLOCK_SAMPLES times and finds a simulated 250 ms lead", async () => {
    let now = T;
    let asked = 0;
    // Each reading of either clock moves time on by 1 ms; the engine's clock runs 250 ms ahead.
    const tick = (): number => (now += 1);
    const engine = { engineTime: async () => (asked++, iso(tick() + 250)) };
    expect(await measureClockOffset(engine, CLOCK_SAMPLES, tick)).toEqual({ offsetMs: 250, uncertaintyMs: 1 });
    expect(asked).toBe(CLOCK_SAMPLES);
  });

  it("a memory engine shares this process's clock: no offset it can tell from zero, bar its ms rounding", async () => {
    const offset = await measureClockOffset(labs.runtime());
    expect(Math.abs(offset.offsetMs)).toBeLessThanOrEqual(offset.uncertaintyMs + 1);
  });
});

describe("correcting an engine's times", () => {
  const ahead40 = { offsetMs: 40, uncertaintyMs: 0.5 };

  it("a message from an engine 40 ms ahead to one on this clock: its negative latency becomes the real one", () => {
    const sentUs = (T + 100) * 1000 + 40_000; // stamped on the engine that runs ahead
    const receivedUs = (T + 105) * 1000; // 5 ms later, on this process's clock
    expect((receivedUs - sentUs) / 1000).toBe(-35);
    const sent = eventOnLabClock({ ts: iso(Math.floor(sentUs / 1000)), tsUs: sentUs, peer: "a" }, ahead40);
    expect((receivedUs - sent.tsUs) / 1000).toBe(5);
    expect(sent).toEqual({ ts: iso(T + 100), tsUs: (T + 100) * 1000, peer: "a" });
  });

  it("an event without tsUs, and an engine's own ISO times: moved to the ms", () => {
    expect(eventOnLabClock({ ts: iso(T + 100), peer: "a" }, ahead40)).toEqual({ ts: iso(T + 60), peer: "a" });
    expect(onLabClock("2026-11-26T06:48:12.615962769Z", ahead40)).toBe("2026-11-26T06:48:12.576Z");
  });

  it("an offset within its uncertainty (one machine): nothing is moved, so engines sharing a clock add no noise", () => {
    const noise = { offsetMs: 0.3, uncertaintyMs: 0.4 };
    expect(correctionMs(noise)).toBe(0);
    const event = { ts: iso(T), tsUs: T * 1000 + 123, peer: "a" };
    expect(eventOnLabClock(event, noise)).toBe(event);
    expect(onLabClock(iso(T), noise)).toBe(iso(T));
    expect(correctionMs({ offsetMs: -3, uncertaintyMs: 0.4 })).toBe(-3);
  });
});

describe("formatClockOffset", () => {
  it("signs the offset and gives its uncertainty", () => {
    expect(formatClockOffset({ offsetMs: 12.345, uncertaintyMs: 0.41 })).toBe("+12.35 ms ± 0.41 ms");
    expect(formatClockOffset({ offsetMs: -0.02, uncertaintyMs: 0.4 })).toBe("−0.02 ms ± 0.40 ms");
  });
});
