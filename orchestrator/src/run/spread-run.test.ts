import { afterEach, describe, expect, it } from "vitest";
import { SPREAD_CHAIN, closeSwarms, memorySpread } from "../../../test/support/memory-spread.js";
import { topologyFrom, upOptions } from "../../../test/support/memory-lab.js";
import { runLab } from "./run.js";

afterEach(closeSwarms);

describe("lab run over two memory engines", () => {
  it("summary.json names each engine, its peers and the clock offset measured at up", async () => {
    const { runtime, engines } = memorySpread();
    engines[1]!.clockSkewMs = 30_000;
    const { report } = await runLab(runtime, topologyFrom(SPREAD_CHAIN), {
      ...upOptions(),
      recreate: false,
      keep: false,
      onStep: () => {},
    });
    expect(report.verdict).toBe("pass");
    expect(report.engines?.map((engine) => [engine.name, engine.peers])).toEqual([
      ["a", ["alice", "carol"]],
      ["b", ["bob", "dave"]],
    ]);
    expect(report.engines![1]!.clockOffsetMs).toBeGreaterThan(29_000);
  });
});
