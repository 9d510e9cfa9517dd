import { describe, expect, it } from "vitest";
import { describeEvent, parseEventLine } from "./events.js";

const at = { ts: "2025-11-25T12:00:01.123Z", peer: "alice" };

describe("the delay event", () => {
  it("is part of the contract", () => {
    const line = JSON.stringify({ ...at, ev: "delay", neighbor: "bob", ms: 200, jitterMs: 50 });
    expect(parseEventLine(line)).toEqual({ ...at, ev: "delay", neighbor: "bob", ms: 200, jitterMs: 50 });
  });

  it("reads as a sentence, for one neighbour or all, with or without jitter", () => {
    expect(describeEvent({ ...at, ev: "delay", neighbor: "bob", ms: 200, jitterMs: 50 })).toBe(
      "alice delays frames to bob by 200 ms ± 50 ms",
    );
    expect(describeEvent({ ...at, ev: "delay", neighbor: "*", ms: 1000, jitterMs: 0 })).toBe(
      "alice delays frames to every neighbour by 1000 ms",
    );
    expect(describeEvent({ ...at, ev: "delay", neighbor: "bob", ms: 0, jitterMs: 0 })).toBe(
      "alice stops delaying frames to bob",
    );
  });
});
