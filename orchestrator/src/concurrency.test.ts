import { describe, expect, it } from "vitest";
import { inBatches, sleep } from "./concurrency.js";

describe("inBatches", () => {
  it("runs at most `limit` at a time", async () => {
    let running = 0;
    let most = 0;
    await inBatches([1, 2, 3, 4, 5, 6, 7], 3, async () => {
      running += 1;
      most = Math.max(most, running);
      await sleep(5);
      running -= 1;
    });
    expect(most).toBe(3);
  });

  it("after a failure starts nothing new, lets the rest finish, then throws the first error", async () => {
    const finished: number[] = [];
    const attempt = inBatches([1, 2, 3, 4, 5, 6], 2, async (n) => {
      await sleep(n === 1 ? 1 : 10);
      if (n === 1) throw new Error("one failed");
      finished.push(n);
    });
    await expect(attempt).rejects.toThrow("one failed");
    expect(finished).toEqual([2]);
  });
});

describe("sleep", () => {
  it("rejects as soon as its signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("stop")), 10);
    await expect(sleep(10_000, controller.signal)).rejects.toThrow("stop");
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
