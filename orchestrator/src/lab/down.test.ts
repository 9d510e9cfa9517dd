import { readFile, readlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  MemoryLabs,
  leftovers,
  resultsDir,
  shipped,
  topologyFrom,
  upOptions,
} from "../../../test/support/memory-lab.js";
import { planLab } from "../plan/plan.js";
import { MEMORY_PEER_IMAGE } from "../runtime/memory-runtime.js";
import { down } from "./down.js";
import { send } from "./send.js";
import { up } from "./up.js";

const never = new AbortController().signal;

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

describe("down", () => {
  it("saves every transcript and the timeline, then removes everything labelled with the lab, and nothing else", async () => {
    const runtime = labs.runtime();
    const { lab } = await up(runtime, shipped("topologies/chain.yaml"), upOptions());
    await up(runtime, topologyFrom("name: other\ndescription: d\npeers:\n  a: {}\n"), upOptions());
    await send(lab, "alice", "hello", never);
    const results = resultsDir();
    const removed = await down(runtime, "chain", { save: true, resultsDir: results });
    expect(removed).toMatchObject({ lab: "chain", refused: [], removedContainers: 5, removedNetworks: 1 });
    expect(await readlink(join(results, "latest"))).toBe(basename(removed.savedTo!));
    // Read from the peers' logs, which are gone once their containers are: saved before anything was removed.
    expect(await readFile(join(removed.savedTo!, "transcripts/dave.jsonl"), "utf8")).toMatch(
      /"ev":"recv".*"text":"hello"/,
    );
    const timeline = await readFile(join(removed.savedTo!, "timeline.jsonl"), "utf8");
    expect(timeline).toContain('"action":"send","target":"alice","detail":"hello"');
    expect(timeline).toContain('"action":"up"');
    expect(await leftovers(runtime, "chain")).toEqual([]);
    expect(await leftovers(runtime, "other")).toEqual(["p2plab-other_journal", "p2plab-other_a", "p2plab-other"]);
  });

  it("a container carrying the lab's label that lab did not make is not saved, said why, and removed with the rest", async () => {
    const runtime = labs.runtime();
    const chain = shipped("topologies/chain.yaml");
    await up(runtime, chain, upOptions());
    const bob = planLab(chain, MEMORY_PEER_IMAGE).peers[1]!.container(new Map());
    await runtime.createContainer({ ...bob, name: "impostor", network: undefined });
    const removed = await down(runtime, "chain", { save: true, resultsDir: resultsDir() });
    expect(removed.refused).toEqual([
      "not saved: container impostor: labelled as peer bob of lab chain, but lab names that container p2plab-chain_bob",
    ]);
    expect(removed.removedContainers).toBe(6);
    expect(await readFile(join(removed.savedTo!, "transcripts/bob.jsonl"), "utf8")).toContain('"ev":"listening"');
    expect(await leftovers(runtime, "chain")).toEqual([]);
  });

  it("removes a half-created lab (an interrupted up: no network yet) without saving, says why, and is idempotent", async () => {
    const runtime = labs.runtime();
    const plan = planLab(shipped("topologies/chain.yaml"), MEMORY_PEER_IMAGE);
    await runtime.start(await runtime.createContainer(plan.journal));
    const first = await down(runtime, "chain", { save: true, resultsDir: resultsDir() });
    expect(first).toEqual({
      lab: "chain",
      refused: ['transcripts not saved: lab "chain" has no network carrying its topology (an interrupted up?)'],
      removedContainers: 1,
      removedNetworks: 0,
    });
    const again = await down(runtime, "chain", { save: false, resultsDir: resultsDir() });
    expect(again).toEqual({ lab: "chain", refused: [], removedContainers: 0, removedNetworks: 0 });
  });

  it("an endpoint the engine kept after removing its container (moby#42119) is disconnected by force, and the network goes", async () => {
    const runtime = labs.runtime();
    await up(runtime, shipped("topologies/chain.yaml"), upOptions());
    runtime.leaveStaleEndpoints(2);
    const removed = await down(runtime, "chain", { save: false, resultsDir: resultsDir() });
    expect(removed).toMatchObject({ removedContainers: 5, removedNetworks: 1 });
    expect(await leftovers(runtime, "chain")).toEqual([]);
  });

  it("a container lab did not make, attached to the lab's network, is left alone: exit 3 naming it and the fix", async () => {
    const runtime = labs.runtime();
    const chain = shipped("topologies/chain.yaml");
    await up(runtime, chain, upOptions());
    const alice = planLab(chain, MEMORY_PEER_IMAGE).peers[0]!.container(new Map());
    const stranger = await runtime.createContainer({ ...alice, name: "stranger", labels: {} });
    await runtime.start(stranger);
    await expect(down(runtime, "chain", { save: false, resultsDir: resultsDir() })).rejects.toMatchObject({
      exitCode: 3,
      message: "network p2plab-chain still has containers attached that lab did not make: stranger",
      hint: "disconnect them (docker network disconnect p2plab-chain NAME), then run lab down again",
    });
    expect((await runtime.inspect(stranger)).state).toBe("running");
    expect(await leftovers(runtime, "chain")).toEqual(["p2plab-chain"]);
  });
});
