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

describe("the heal additions", () => {
  it("link-up may say repair, and reads so", () => {
    const up = { ...at, ev: "link-up", neighbor: "carol", addr: "10.0.0.4:7000", dir: "out", repair: true } as const;
    expect(parseEventLine(JSON.stringify(up))).toEqual(up);
    expect(describeEvent(up)).toBe("alice ⇄ carol: repair link up (connected to 10.0.0.4:7000)");
    expect(describeEvent({ ...up, repair: undefined })).toBe("alice ⇄ carol: link up (connected to 10.0.0.4:7000)");
  });

  it("the crash-handler event is part of the contract", () => {
    const line = { ...at, ev: "crash-handler", reason: "SIGTERM", action: "dialling bob:7000 again" } as const;
    expect(parseEventLine(JSON.stringify(line))).toEqual(line);
    expect(describeEvent(line)).toBe("alice crash handler (SIGTERM): dialling bob:7000 again");
  });
});
