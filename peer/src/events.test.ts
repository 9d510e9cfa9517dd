import { describe, expect, it } from "vitest";
import { describeEvent, parseEventLine } from "./events.js";

const at = { ts: "2025-11-25T12:00:01.123Z", peer: "alice" };

describe("tsUs", () => {
  it("is optional: events with it and without it are both part of the contract", () => {
    const line = { ...at, ev: "listening", port: 7000 };
    expect(parseEventLine(JSON.stringify(line))).toEqual(line);
    const precise = { ...line, tsUs: Date.parse(at.ts) * 1000 + 456 };
    expect(parseEventLine(JSON.stringify(precise))).toEqual(precise);
    expect(parseEventLine(JSON.stringify({ ...line, tsUs: 1.5 }))).toBeUndefined();
  });
});

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

describe("heal mode's events", () => {
  it("a link-up may say it is a repair; nothing else may stand in for true", () => {
    const line = { ...at, ev: "link-up", neighbor: "carol", addr: "carol:7000", dir: "out" };
    expect(parseEventLine(JSON.stringify(line))).toEqual(line);
    expect(parseEventLine(JSON.stringify({ ...line, repair: true }))).toEqual({ ...line, repair: true });
    expect(parseEventLine(JSON.stringify({ ...line, repair: "yes" }))).toBeUndefined();
    expect(
      describeEvent({ ...at, ev: "link-up", neighbor: "carol", addr: "carol:7000", dir: "out", repair: true }),
    ).toBe("alice ⇄ carol: link up, a repair (connected to carol:7000)");
  });

  it("the crash handler's event is part of the contract, and reads as a sentence", () => {
    const event = { ...at, ev: "crash-handler", reason: "SIGTERM", action: "reconnecting to bob:7000" } as const;
    expect(parseEventLine(JSON.stringify(event))).toEqual(event);
    expect(parseEventLine(JSON.stringify({ ...event, action: 1 }))).toBeUndefined();
    expect(describeEvent(event)).toBe("alice crash handler: SIGTERM; reconnecting to bob:7000");
  });
});
