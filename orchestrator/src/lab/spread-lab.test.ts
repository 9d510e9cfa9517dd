import { afterEach, describe, expect, it } from "vitest";
import { SPREAD_CHAIN, closeSwarms, memorySpread } from "../../../test/support/memory-spread.js";
import { topologyFrom, upOptions } from "../../../test/support/memory-lab.js";
import { EnvironmentError } from "../errors.js";
import { control } from "./control.js";
import { down } from "./down.js";
import { Lab } from "./lab.js";
import { up } from "./up.js";
import { LABEL } from "../plan/labels.js";
import { MEMORY_PEER_IMAGE } from "../runtime/memory-runtime.js";
import type { MemorySwarmEngine } from "../runtime/memory-swarm.js";
import { EngineUnreachableError, SpreadRuntime } from "../runtime/spread-runtime.js";

const never = new AbortController().signal;
afterEach(closeSwarms);

/** The names of the containers each engine holds for the lab. */
async function byEngine(engines: MemorySwarmEngine[], lab: string): Promise<string[][]> {
  return Promise.all(
    engines.map(async (engine) => (await engine.listContainers({ [LABEL.lab]: lab })).map((c) => c.name).sort()),
  );
}

describe("a lab spread over two memory engines", () => {
  it("places peers round robin, the journal on the first engine, the network an overlay on the manager; links cross engines", async () => {
    const { runtime, engines } = memorySpread();
    const progress: string[] = [];
    const { lab, snapshot } = await up(
      runtime,
      topologyFrom(SPREAD_CHAIN),
      upOptions({ progress: (m) => progress.push(m) }),
    );
    expect(await byEngine(engines, "spread")).toEqual([
      ["p2plab-spread_alice", "p2plab-spread_carol", "p2plab-spread_journal"],
      ["p2plab-spread_bob", "p2plab-spread_dave"],
    ]);
    const bob = (await engines[1]!.listContainers({ [LABEL.peer]: "bob" }))[0]!;
    expect(bob.labels[LABEL.engine]).toBe("b");
    const [network] = await engines[0]!.listNetworks({ [LABEL.lab]: "spread" });
    expect(network!.labels[LABEL.engines]).toBe("a,b");
    expect(Object.keys(JSON.parse(network!.labels[LABEL.topology]!).clockOffsets)).toEqual(["a", "b"]);
    expect(snapshot.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
    expect(progress).toContain("engines a, b: one swarm; the lab's overlay network on a");
    await down(runtime, lab.name, { save: false, resultsDir: "/nonexistent" });
  });

  it("the peer image goes to each engine lacking it, said in up's output", async () => {
    const { runtime, engines } = memorySpread();
    engines[1]!.removeImage(MEMORY_PEER_IMAGE);
    const progress: string[] = [];
    await up(runtime, topologyFrom(SPREAD_CHAIN), upOptions({ progress: (m) => progress.push(m) }));
    expect(await engines[1]!.imageId(MEMORY_PEER_IMAGE)).toBe(await engines[0]!.imageId(MEMORY_PEER_IMAGE));
    expect(progress).toContain(`shipping ${MEMORY_PEER_IMAGE} from a to b (save and load)`);
    await down(runtime, "spread", { save: false, resultsDir: "/nonexistent" });
  });

  it("a new runtime (another command) finds the lab and routes kill and pause to the engine holding the peer", async () => {
    const { runtime, members, engines } = memorySpread();
    await up(runtime, topologyFrom(SPREAD_CHAIN), upOptions());
    const later = await Lab.find(new SpreadRuntime(members), "spread");
    const killed = await control(later, "kill", "bob", 5, never);
    expect(killed).toMatchObject({ status: "killed", partitionsAfter: [["alice"], ["carol", "dave"]] });
    expect((await engines[1]!.listContainers({ [LABEL.peer]: "bob" }))[0]!.state).toBe("exited");
    const paused = await control(later, "pause", "carol", 5, never);
    expect(paused.status).toBe("paused");
    expect((await engines[0]!.listContainers({ [LABEL.peer]: "carol" }))[0]!.state).toBe("paused");
    await down(runtime, "spread", { save: false, resultsDir: "/nonexistent" });
  });

  it("lab ls: labs on every engine, each once", async () => {
    const { runtime } = memorySpread();
    await up(runtime, topologyFrom(SPREAD_CHAIN), upOptions());
    expect(await Lab.list(runtime)).toEqual([{ name: "spread", description: undefined, peers: 4, running: 4 }]);
    await down(runtime, "spread", { save: false, resultsDir: "/nonexistent" });
  });

  it("engines not in one swarm: exit 3 with the join line, nothing created", async () => {
    const { runtime, engines } = memorySpread();
    engines[1]!.swarm = { state: "inactive", nodeId: "", clusterId: "", manager: false, nodeAddr: "" };
    const attempt = up(runtime, topologyFrom(SPREAD_CHAIN), upOptions());
    await expect(attempt).rejects.toThrow(EnvironmentError);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringContaining("the engines are not in one swarm (a: manager of swarm"),
      hint: expect.stringContaining("docker --context b swarm join --token SWMTKN-1-memory 192.168.77.1:2377"),
    });
    expect(await byEngine(engines, "spread")).toEqual([[], []]);
  });

  it("down with one engine gone: removes what the others hold, keeps the network, names the engine; a later down finishes", async () => {
    const { runtime, engines, gone } = memorySpread();
    await up(runtime, topologyFrom(SPREAD_CHAIN), upOptions());
    gone.add("b");
    await expect(Lab.list(runtime)).rejects.toThrow(EngineUnreachableError);
    const first = await down(runtime, "spread", { save: true, resultsDir: upOptions().resultsDir });
    expect(first.unreachable).toEqual(["b"]);
    expect(first.removedContainers).toBe(3);
    gone.delete("b");
    expect(await byEngine(engines, "spread")).toEqual([[], ["p2plab-spread_bob", "p2plab-spread_dave"]]);
    expect((await runtime.listNetworks({ [LABEL.lab]: "spread" })).length).toBe(1);
    const second = await down(runtime, "spread", { save: false, resultsDir: "/nonexistent" });
    expect(second).toMatchObject({ removedContainers: 2, removedNetworks: 1 });
    expect(second.unreachable).toBeUndefined();
    expect(await byEngine(engines, "spread")).toEqual([[], []]);
    expect(await runtime.listNetworks({ [LABEL.lab]: "spread" })).toEqual([]);
  });

  it("an engine whose clock runs ahead: its log lines and events put on the lab's clock, so the timeline keeps cause before effect", async () => {
    const { runtime, engines } = memorySpread();
    engines[1]!.clockSkewMs = 60_000;
    const progress: string[] = [];
    const { lab } = await up(runtime, topologyFrom(SPREAD_CHAIN), upOptions({ progress: (m) => progress.push(m) }));
    expect(progress.find((line) => line.startsWith("clock offsets"))).toMatch(
      /^clock offsets \(engine − lab\): a [+−]\d\.\d\d ms ± \d+\.\d\d ms, b \+(599|600)\d\d\.\d\d ms ± /,
    );
    const later = await Lab.find(new SpreadRuntime(swarmMembers(runtime)), "spread");
    const recording = await later.recording();
    const now = Date.now();
    for (const lines of recording.lines.values()) {
      for (const line of lines) expect(Date.parse(line.ts)).toBeLessThanOrEqual(now);
    }
    const up_ = recording.actions.find((action) => action.action === "up")!;
    const bobListening = recording.lines.get("bob")!.find((line) => line.event?.ev === "listening")!;
    // On the engine's own clock bob would have listened a minute after the lab said it was up.
    expect(Date.parse(bobListening.ts)).toBeLessThan(Date.parse(up_.ts) + 5_000);
    for (const record of recording.engine) expect(Date.parse(record.ts)).toBeLessThanOrEqual(now);
    await down(runtime, lab.name, { save: false, resultsDir: "/nonexistent" });
  });
});

function swarmMembers(runtime: SpreadRuntime) {
  return runtime.members;
}
