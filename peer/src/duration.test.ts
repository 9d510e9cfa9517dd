import { describe, expect, it } from "vitest";
import { durationProblem, formatDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it("reads ms, s, m and h, whole or with a fraction", () => {
    expect(["250ms", "2s", "1.5s", "1m", "1h", "0.5h"].map(parseDuration)).toEqual([
      250, 2000, 1500, 60_000, 3_600_000, 1_800_000,
    ]);
  });

  it("refuses anything else, spaces included", () => {
    for (const text of ["2", "1 s", " 2s", "2s ", "-1s", "1d", "1.s", ".5s", "1m30s", "soon"])
      expect(parseDuration(text), text).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it("is short under a minute", () => {
    expect([0, 12.4, 999, 2310, 4000, 59_000].map(formatDuration)).toEqual([
      "0ms",
      "12ms",
      "999ms",
      "2.3s",
      "4s",
      "59s",
    ]);
  });

  it("gives minutes and seconds, and hours and minutes, leaving out a zero part", () => {
    expect([60_000, 65_000, 120_000, 3_600_000, 3_900_000, 7_200_000].map(formatDuration)).toEqual([
      "1m",
      "1m05s",
      "2m",
      "1h",
      "1h05m",
      "2h",
    ]);
  });
});

describe("the longest duration", () => {
  it("is what a timer can wait (2^31 - 1 ms, about 596 h): longer ones are no duration, not a 1 ms timer", () => {
    expect(parseDuration("596h")).toBe(596 * 3_600_000);
    expect(parseDuration("597h")).toBeUndefined();
    expect(parseDuration("99999999999999999999h")).toBeUndefined();
    expect(durationProblem("1000h")).toBe("at most 596h31m: no timer waits longer");
    expect(durationProblem("soon")).toBe("expected a duration such as 500ms, 2s or 1m");
    expect(durationProblem("2s")).toBeUndefined();
  });
});
