import { describe, expect, it } from "vitest";
import { backoffMs } from "./backoff.js";

const BACKOFF = { firstMs: 200, capMs: 4000 };

describe("backoffMs", () => {
  it("doubles from the first delay up to the cap, each drawn from its upper half", () => {
    const bounds = [0, 1, 2, 3, 4, 5, 6, 50].map((attempt) => [
      backoffMs(attempt, BACKOFF, () => 0),
      backoffMs(attempt, BACKOFF, () => 1),
    ]);
    expect(bounds).toEqual([
      [100, 200],
      [200, 400],
      [400, 800],
      [800, 1600],
      [1600, 3200],
      [2000, 4000],
      [2000, 4000],
      [2000, 4000],
    ]);
  });

  it("spreads the neighbours of one dead peer: different draws, different instants", () => {
    const draws = [0.1, 0.5, 0.9].map((r) => backoffMs(0, BACKOFF, () => r));
    expect(new Set(draws).size).toBe(3);
    for (const ms of draws) expect(ms).toBeGreaterThanOrEqual(100);
  });
});
