import { afterEach, describe, expect, it } from "vitest";
import { topologyFrom, upOptions } from "../../../test/support/memory-lab.js";
import { memorySwarm, type MemorySwarmEngine } from "../runtime/memory-swarm.js";
import { SpreadRuntime } from "../runtime/spread-runtime.js";
import { runLab } from "./run.js";

const CHAIN = `name: spread
defaults: {heartbeat: 200ms, timeout: 800ms}
engines: [a, b]
peers:
  alice: {connect: [bob]}
  bob: {connect: [carol]}
  carol: {connect: [dave]}
  dave: {}
`;

let opened: MemorySwarmEngine[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close()));
});

function swarm(names = ["a", "b"]) {
  const made = memorySwarm(names);
  opened.push(...made.engines);
  return { ...made, runtime: new SpreadRuntime(made.members) };
}

describe("lab run over two memory engines", () => {
  it("summary.json names each engine, its peers and the clock offset measured at up", async () => {
    const { runtime, engines } = swarm();
    engines[1]!.clockSkewMs = 30_000;
    const { report } = await runLab(runtime, topologyFrom(CHAIN), {
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
