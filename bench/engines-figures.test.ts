import { describe, expect, it } from "vitest";
import { formatClockOffset } from "../orchestrator/src/runtime/clock-offset.js";
// @ts-expect-error: the bench is plain JavaScript, run by node without a build
import { compareRounds, enginesByPeer, offsetStats, parseClockOffsets, summaryOffsets } from "./engines-figures.mjs";

describe("bench/engines' figures", () => {
  it("reads the clock offsets from `lab up`'s output, as lab formats them (a real minus sign)", () => {
    // Built as lab/up.ts builds it, so a change to the format breaks this test, not the bench's figures.
    const line = `clock offsets (engine − lab): default ${formatClockOffset({ offsetMs: -2.861, uncertaintyMs: 3.79 })}, lab-2 ${formatClockOffset({ offsetMs: 41.02, uncertaintyMs: 0.61 })}`;
    const output = `lab: bringing up lab x: 16 peers, 23 links\nlab: engines default, lab-2: one swarm\nlab: ${line}\nlab: wired\n`;
    expect(parseClockOffsets(output)).toEqual({
      default: { offsetMs: -2.86, uncertaintyMs: 3.79 },
      "lab-2": { offsetMs: 41.02, uncertaintyMs: 0.61 },
    });
    expect(parseClockOffsets("lab: bringing up lab x: 16 peers, 23 links\n")).toEqual({});
  });

  it("reads each engine's offset and peers from summary.json's engines", () => {
    const engines = [
      { name: "default", peers: ["p1", "p4"], clockOffsetMs: -0.5, uncertaintyMs: 2 },
      { name: "b", peers: ["p2"], clockOffsetMs: 1.25, uncertaintyMs: 3 },
    ];
    expect(summaryOffsets(engines)).toEqual({
      default: { offsetMs: -0.5, uncertaintyMs: 2 },
      b: { offsetMs: 1.25, uncertaintyMs: 3 },
    });
    expect(enginesByPeer(engines)).toEqual({ p1: "default", p4: "default", p2: "b" });
    // One engine: summary.json has no engines.
    expect(summaryOffsets(undefined)).toEqual({});
  });

  it("compares three engines with one per round: each round's ratio, not the ratio of medians", () => {
    const figures = {
      one: [{ upMs: 100 }, { upMs: 200 }, { upMs: 300 }],
      three: [{ upMs: 150 }, { upMs: 200 }, { upMs: 900 }],
    };
    expect(compareRounds(figures, ["upMs"])).toEqual({
      upMs: {
        one: { n: 3, min: 100, median: 200, max: 300 },
        three: { n: 3, min: 150, median: 200, max: 900 },
        ratio: { n: 3, min: 1, median: 1.5, max: 3 },
      },
    });
    // A key a run lacks (p50 of a run without messages) is left out of its figures and its round's ratio.
    expect(compareRounds({ one: [{ p50Ms: 4 }, {}], three: [{ p50Ms: 6 }, { p50Ms: 8 }] }, ["p50Ms"]).p50Ms).toEqual({
      one: { n: 1, min: 4, median: 4, max: 4 },
      three: { n: 2, min: 6, median: 8, max: 8 },
      ratio: { n: 1, min: 1.5, median: 1.5, max: 1.5 },
    });
  });

  it("gathers each engine's offsets and uncertainties over the runs that measured them", () => {
    const runs = [
      { default: { offsetMs: -3, uncertaintyMs: 4 }, b: { offsetMs: -1, uncertaintyMs: 2 } },
      { default: { offsetMs: -2, uncertaintyMs: 5 } },
      {},
    ];
    expect(offsetStats(runs)).toEqual({
      default: {
        offsetMs: { n: 2, min: -3, median: -2, max: -2 },
        uncertaintyMs: { n: 2, min: 4, median: 5, max: 5 },
      },
      b: { offsetMs: { n: 1, min: -1, median: -1, max: -1 }, uncertaintyMs: { n: 1, min: 2, median: 2, max: 2 } },
    });
  });
});
