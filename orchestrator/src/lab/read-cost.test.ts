import { afterEach, describe, expect, it } from "vitest";
import { CountingRuntime } from "../../../test/support/counting-runtime.js";
import { MemoryLabs, shipped, topologyFrom, upOptions } from "../../../test/support/memory-lab.js";
import type { Runtime } from "../runtime/runtime.js";
import { runScenario } from "../scenario/runner.js";
import { Lab } from "./lab.js";
import { send } from "./send.js";
import { up } from "./up.js";

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

/** A lab of `size` peers in a ring, named `name`, with these scenario steps (YAML list items). */
const ring = (name: string, size: number, steps: string[] = []) =>
  topologyFrom(
    `name: ${name}\ngenerate: { shape: ring, size: ${size} }\n${steps.length ? `scenario:\n${steps.map((step) => `  - ${step}\n`).join("")}` : ""}`,
    `${name}.yaml`,
  );

/** What `lab status small` asks the engine. */
async function status(runtime: Runtime): Promise<void> {
  const lab = await Lab.find(runtime, "chain");
  await lab.recordObservedLinks();
  await lab.snapshot();
}

/** The engine requests `read` makes of the 4-peer chain lab, alone on the engine and beside a 12-peer lab. */
async function costBesideALargeLab(read: (runtime: Runtime) => Promise<void>): Promise<[number, number]> {
  const runtime = labs.runtime();
  await up(runtime, shipped("topologies/chain.yaml"), upOptions());
  const counting = new CountingRuntime(runtime);
  await read(counting.runtime);
  const alone = counting.total;
  await up(runtime, ring("large", 12), upOptions());
  counting.reset();
  await read(counting.runtime);
  return [alone, counting.total];
}

describe("what reading a lab costs the engine", () => {
  it("status of a small lab makes as many requests whether or not a large lab runs", async () => {
    const [alone, beside] = await costBesideALargeLab(status);
    expect(beside).toBe(alone);
    // The chain's four peers and its journal, read once each, with a few lists: no second pass.
    expect(alone).toBeLessThanOrEqual(20);
  });

  it("send from a small lab makes as many requests whether or not a large lab runs", async () => {
    const signal = new AbortController().signal;
    let n = 0;
    const [alone, beside] = await costBesideALargeLab(async (runtime) => {
      await send(await Lab.find(runtime, "chain"), "alice", `hello ${++n}`, signal);
    });
    expect(beside).toBe(alone);
  });

  it("ls lists every lab with two list requests, inspecting no container", async () => {
    const runtime = labs.runtime();
    await up(runtime, shipped("topologies/chain.yaml"), upOptions());
    await up(runtime, ring("large", 12), upOptions());
    const counting = new CountingRuntime(runtime);
    const listed = await Lab.list(counting.runtime);
    expect(listed.map(({ name, peers, running }) => ({ name, peers, running }))).toEqual([
      { name: "chain", peers: 4, running: 4 },
      { name: "large", peers: 12, running: 12 },
    ]);
    expect(counting.calls).toEqual({ listNetworks: 1, listContainerSummaries: 1 });
  });

  it("run's expectations cost the engine nothing per poll, whatever the lab's size", async () => {
    /** The requests of a scenario whose one expectation never holds, so it is polled for all of `within`. */
    const scenarioCost = async (size: number, within: string): Promise<number> => {
      const counting = new CountingRuntime(labs.runtime());
      const { lab } = await up(
        counting.runtime,
        ring("polled", size, [`expect: { state: { p1: paused }, within: ${within} }`]),
        upOptions(),
      );
      counting.reset();
      const result = await runScenario(lab, lab.topology.scenario, {
        signal: new AbortController().signal,
        onStep: () => {},
      });
      expect(result.expectations.map((e) => e.ok)).toEqual([false]);
      return counting.total;
    };
    for (const size of [4, 12]) {
      // Eight more polls than the shorter window, and not one more request.
      expect(await scenarioCost(size, "2500ms")).toBe(await scenarioCost(size, "500ms"));
    }
  });

  it("run's fault steps cost the engine what they touch, not the lab's size", async () => {
    /** The requests of a run of a `size`-peer ring whose scenario is these steps. */
    const scenarioCost = async (size: number, steps: string[]): Promise<number> => {
      const counting = new CountingRuntime(labs.runtime());
      const { lab } = await up(counting.runtime, ring("stepped", size, steps), upOptions());
      counting.reset();
      const result = await runScenario(lab, lab.topology.scenario, {
        signal: new AbortController().signal,
        onStep: () => {},
      });
      expect(result.expectations).toEqual([]);
      await labs.closeAll();
      return counting.total;
    };
    /** What one step adds to a run of an empty scenario (which follows each container once). */
    const stepCost = async (size: number, step: string): Promise<number> =>
      (await scenarioCost(size, [step])) - (await scenarioCost(size, []));
    const kill = await stepCost(64, "kill: p2");
    // Looking the peer up (a filtered list and its inspect), the kill, an inspect after it, the journal's line.
    expect(kill).toBeLessThanOrEqual(5);
    expect(await stepCost(4, "kill: p2")).toBe(kill);
    for (const step of ["restart: p2", "cut: [p1, p2]", "send: { from: p1, text: hello }"])
      expect(await stepCost(64, step)).toBe(await stepCost(4, step));
  });
});
