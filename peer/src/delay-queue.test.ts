import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DelayQueue, holdMs } from "./delay-queue.js";

describe("holdMs", () => {
  it("draws uniformly from delay - jitter to delay + jitter", () => {
    const delay = { ms: 200, jitterMs: 150 };
    expect([0, 0.5, 1].map((r) => holdMs(delay, () => r))).toEqual([50, 200, 350]);
    expect(holdMs({ ms: 0, jitterMs: 0 })).toBe(0);
  });
});

describe("DelayQueue", () => {
  let written: string[];
  let queue: DelayQueue;
  beforeEach(() => {
    vi.useFakeTimers();
    written = [];
    queue = new DelayQueue((bytes) => written.push(bytes));
  });
  afterEach(() => vi.useRealTimers());

  it("writes at once when nothing is held and the hold is zero", () => {
    queue.push("a\n", 0);
    expect(written).toEqual(["a\n"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("holds a frame for its hold, counting its bytes until it is written", () => {
    queue.push("héllo\n", 300);
    expect(queue.heldBytes).toBe(7);
    vi.advanceTimersByTime(299);
    expect(written).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(written).toEqual(["héllo\n"]);
    expect(queue.heldBytes).toBe(0);
  });

  it("never writes a frame before the one pushed before it, whatever their holds", () => {
    const holds = [350, 50, 200, 0, 120, 340, 10];
    holds.forEach((hold, i) => queue.push(`${i}\n`, hold));
    vi.advanceTimersByTime(349);
    expect(written).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(written).toEqual(holds.map((_, i) => `${i}\n`));
  });

  it("writes each frame when its own hold is over once the ones before it are out", () => {
    queue.push("a\n", 100);
    vi.advanceTimersByTime(50);
    queue.push("b\n", 100);
    vi.advanceTimersByTime(50);
    expect(written).toEqual(["a\n"]);
    vi.advanceTimersByTime(50);
    expect(written).toEqual(["a\n", "b\n"]);
  });

  it("queues a zero hold behind frames still held", () => {
    queue.push("slow\n", 100);
    queue.push("fast\n", 0);
    expect(written).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(written).toEqual(["slow\n", "fast\n"]);
  });

  it("drops what it holds on clear, writes nothing after, and leaves no timer", () => {
    queue.push("a\n", 100);
    queue.push("b\n", 200);
    queue.clear();
    expect(vi.getTimerCount()).toBe(0);
    expect(queue.heldBytes).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(written).toEqual([]);
  });

  it("stops when a write clears the queue, as a link closing on a write error does", () => {
    queue = new DelayQueue((bytes) => {
      written.push(bytes);
      queue.clear();
    });
    queue.push("a\n", 100);
    queue.push("b\n", 100);
    vi.advanceTimersByTime(1000);
    expect(written).toEqual(["a\n"]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
