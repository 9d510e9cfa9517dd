import { describe, expect, it } from "vitest";
import { delayCommand, parseDelayCommand } from "./delay-command.js";

describe("parseDelayCommand", () => {
  it("reads a neighbour or *, a delay and an optional jitter", () => {
    expect(parseDelayCommand("/delay bob 200ms 50ms")).toEqual({ neighbor: "bob", delay: { ms: 200, jitterMs: 50 } });
    expect(parseDelayCommand("/delay * 1.5s")).toEqual({ neighbor: "*", delay: { ms: 1500, jitterMs: 0 } });
    expect(parseDelayCommand("  /delay   carol-2  1s\t0  ")).toEqual({
      neighbor: "carol-2",
      delay: { ms: 1000, jitterMs: 0 },
    });
  });

  it("takes 0 and 0ms as no delay", () => {
    for (const line of ["/delay bob 0", "/delay bob 0ms", "/delay bob 0 0"])
      expect(parseDelayCommand(line), line).toEqual({ neighbor: "bob", delay: { ms: 0, jitterMs: 0 } });
  });

  it("says what is wrong with a bad line", () => {
    expect(parseDelayCommand("/delay")).toEqual({ problem: "a neighbour and a duration are needed" });
    expect(parseDelayCommand("/delay bob")).toEqual({ problem: "a neighbour and a duration are needed" });
    expect(parseDelayCommand("/delay bob 1s 2ms 3ms")).toEqual({ problem: 'unexpected "3ms" after the jitter' });
    expect(parseDelayCommand("/delay bob:7000 1s")).toEqual({ problem: '"bob:7000" is neither a peer name nor *' });
    expect(parseDelayCommand("/delay bob fast")).toEqual({
      problem: 'delay "fast": expected a duration such as 500ms, 2s or 1m, or 0',
    });
    expect(parseDelayCommand("/delay bob 200")).toEqual({
      problem: 'delay "200": expected a duration such as 500ms, 2s or 1m, or 0',
    });
    expect(parseDelayCommand("/delay bob 1s -5ms")).toEqual({
      problem: 'jitter "-5ms": expected a duration such as 500ms, 2s or 1m, or 0',
    });
    expect(parseDelayCommand("/delay bob 1000h")).toEqual({
      problem: 'delay "1000h": at most 596h31m: no timer waits longer',
    });
    expect(parseDelayCommand("/delay bob 50ms 80ms")).toEqual({ problem: "jitter 80ms is longer than the delay 50ms" });
    expect(parseDelayCommand("/delayed bob 1s")).toEqual({ problem: "not a /delay line" });
  });

  it("reads back what delayCommand writes", () => {
    for (const command of [
      { neighbor: "bob", delay: { ms: 200, jitterMs: 50 } },
      { neighbor: "*", delay: { ms: 0, jitterMs: 0 } },
    ])
      expect(parseDelayCommand(delayCommand(command))).toEqual(command);
  });
});
