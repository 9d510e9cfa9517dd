import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the bench is plain JavaScript, run by node without a build
import { cpuTicks, keptUp, lagFigures } from "./ui-figures.mjs";

const { messagesDue } = createRequire(import.meta.url)("./paced-flood.cjs") as {
  messagesDue(elapsedMs: number, rate: number, total: number): number;
};

describe("bench/ui's figures", () => {
  it("paces a flood: the first message at once, then `rate` a second, never more than the total", () => {
    expect([0, 99, 100, 999, 1000].map((ms) => messagesDue(ms, 10, 50))).toEqual([1, 1, 2, 10, 11]);
    expect(messagesDue(1000, 12.5, 100)).toBe(13);
    expect(messagesDue(60_000, 10, 50)).toBe(50);
  });

  it("gives a page's lag percentiles, and how much its median grew from the first quarter to the last", () => {
    // 100 items a ms apart, shown 10 ms late, then 50 ms late for the last quarter: a page falling behind.
    const items = Array.from({ length: 100 }, (_, i) => ({ ts: 1000 + i, at: 1000 + i + (i >= 75 ? 50 : 10) }));
    expect(lagFigures(items)).toEqual({ n: 100, p50: 10, p99: 50, max: 50, growth: 40 });
    expect(lagFigures([])).toEqual({ n: 0 });
    // Order of arrival does not matter: quarters are by the peers' ts.
    expect(lagFigures([...items].reverse()).growth).toBe(40);
  });

  it("says a page kept up only when it showed everything sent, under 250 ms at p99, without growing lag", () => {
    const steady = { n: 10, p50: 50, p99: 120, max: 130, growth: 5 };
    expect(keptUp({ sent: 10, shown: 10, lag: steady })).toEqual({ kept: true });
    expect(keptUp({ sent: 10, shown: 9, lag: steady })).toEqual({ kept: false, why: "showed 9 of 10" });
    expect(keptUp({ sent: 10, shown: 10, lag: { ...steady, p99: 250 } })).toEqual({
      kept: false,
      why: "p99 lag 250 ms",
    });
    expect(keptUp({ sent: 10, shown: 10, lag: { ...steady, growth: 100 } })).toEqual({
      kept: false,
      why: "lag grew 100 ms",
    });
  });

  it("reads user and system time from /proc/<pid>/stat, whatever the command's name holds", () => {
    const rest = "S 1 2 3 4 5 6 7 8 9 10 1234 56 0 0 20 0 1 0 100 200 300";
    expect(cpuTicks(`42 (node) ${rest}`)).toBe(1290);
    expect(cpuTicks(`42 (a b) (c)) ${rest}`)).toBe(1290);
  });
});
