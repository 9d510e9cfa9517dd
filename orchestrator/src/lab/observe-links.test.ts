import { afterEach, describe, expect, it, vi } from "vitest";
import { FAST, MemoryLabs, shipped, upOptions } from "../../../test/support/memory-lab.js";
import { reportedNeighbors } from "../check/overlay.js";
import { MemoryRuntime } from "../runtime/memory-runtime.js";
import { TcpTablesUnreadableError, type Labels, type TcpTables } from "../runtime/runtime.js";
import { EnvironmentError } from "../errors.js";
import { waitFor } from "../wait.js";
import { control } from "./control.js";
import { recordingEvents, type Lab } from "./lab.js";
import { OBSERVE_LINKS_VARIABLE, linkObservedPeers, observeLinks } from "./observe-links.js";
import { up } from "./up.js";

const never = new AbortController().signal;
const labs = new MemoryLabs();
afterEach(async () => {
  vi.unstubAllEnvs();
  await labs.closeAll();
});

/** Each peer's neighbours as an observation found them ("events" peers left out). */
function neighbors(observation: Awaited<ReturnType<typeof observeLinks>>): Record<string, string[]> {
  return Object.fromEntries(
    [...observation.peers].flatMap(([name, seen]) => (seen.neighbors ? [[name, seen.neighbors]] : [])),
  );
}

/** Each peer's neighbours as the peers themselves report them. */
async function reported(lab: Lab): Promise<Record<string, string[]>> {
  const byPeer = reportedNeighbors(recordingEvents(await lab.recording()));
  return Object.fromEntries(lab.peerNames.map((name) => [name, lab.peerNames.filter((n) => byPeer.get(name)?.has(n))]));
}

describe("observeLinks on a memory runtime", () => {
  it("finds the chain's links in bob's and carol's tables, with who dialled whom, as the peers report them", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const seen = await observeLinks(lab, ["bob", "carol"]);
    expect(seen.links).toEqual([
      { dialer: "bob", acceptor: "alice", seenBy: ["bob"] },
      { dialer: "carol", acceptor: "bob", seenBy: ["bob", "carol"] },
      { dialer: "dave", acceptor: "carol", seenBy: ["carol"] },
    ]);
    expect([...seen.peers]).toEqual([
      ["alice", { source: "events" }],
      ["bob", { source: "tcp-table", neighbors: ["alice", "carol"], via: "exec" }],
      ["carol", { source: "tcp-table", neighbors: ["bob", "dave"], via: "exec" }],
      ["dave", { source: "events" }],
    ]);
    const own = await reported(lab);
    expect(neighbors(seen)).toEqual({ bob: own.bob, carol: own.carol });
  });

  it("a killed peer has no connections left; its neighbours' tables lose it", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    await control(lab, "kill", "bob", 5, never);
    const seen = await observeLinks(lab, ["bob", "carol"]);
    expect(seen.peers.get("bob")).toEqual({ source: "tcp-table", neighbors: [] });
    expect(seen.peers.get("carol")).toMatchObject({ neighbors: ["dave"] });
  });

  it("a paused peer is read through the helper: its frozen connections are still established", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    await control(lab, "pause", "carol", 5, never);
    expect((await observeLinks(lab, ["carol"])).peers.get("carol")).toEqual({
      source: "tcp-table",
      neighbors: ["bob", "dave"],
      via: "helper",
    });
  });

  it("when a table cannot be read: the configured links to running peers, and why", async () => {
    class NoTables extends MemoryRuntime {
      override async readTcpTables(id: string, _labels: Labels): Promise<TcpTables> {
        throw new TcpTablesUnreadableError(id, { exec: "no cat", helper: "no image" });
      }
    }
    const runtime = new NoTables();
    const { lab } = await up(runtime, shipped("topologies/chain.yaml", FAST), upOptions());
    try {
      await control(lab, "kill", "alice", 5, never);
      const bob = (await observeLinks(lab, ["bob"])).peers.get("bob");
      expect(bob).toEqual({
        source: "configured",
        neighbors: ["carol"],
        reason: expect.stringMatching(/^cannot read the TCP tables of \w+: exec: no cat; helper: no image$/),
      });
    } finally {
      await runtime.close();
    }
  });

  it("asks the engine nothing for a lab whose peers all report their links", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const reads: string[] = [];
    const read = lab.runtime.readTcpTables.bind(lab.runtime);
    lab.runtime.readTcpTables = (id, labels) => (reads.push(id), read(id, labels));
    const seen = await observeLinks(lab, []);
    expect(seen.links).toEqual([]);
    expect([...seen.peers.values()].every((peer) => peer.source === "events")).toBe(true);
    expect(reads).toEqual([]);
  });
});

describe("which peers the lab observes", () => {
  const chain = shipped("topologies/chain.yaml");
  it("the peers OBSERVE_LINKS_VARIABLE names, in topology order, or all; names of no peer are ignored", () => {
    expect(linkObservedPeers(chain, {})).toEqual([]);
    expect(linkObservedPeers(chain, { [OBSERVE_LINKS_VARIABLE]: "carol, bob,zed" })).toEqual(["bob", "carol"]);
    expect(linkObservedPeers(chain, { [OBSERVE_LINKS_VARIABLE]: "all" })).toEqual(["alice", "bob", "carol", "dave"]);
  });
});

describe("observed links in the timeline, on a memory runtime", () => {
  /** The chain with bob and carol observed from outside. */
  async function observedChain(): Promise<Lab> {
    vi.stubEnv(OBSERVE_LINKS_VARIABLE, "bob,carol");
    return labs.up(shipped("topologies/chain.yaml"));
  }

  it("status's look: each change journalled once, with its source; the snapshot's links and partitions come from it", async () => {
    const lab = await observedChain();
    expect(lab.linkObserved).toEqual(["bob", "carol"]);
    const first = await lab.recordObservedLinks();
    expect(first.written.map((r) => [r.target, r.neighbors, r.source])).toEqual([
      ["bob", ["alice", "carol"], "tcp-table"],
      ["carol", ["bob", "dave"], "tcp-table"],
    ]);
    expect((await lab.recordObservedLinks()).written).toEqual([]);
    const recording = await lab.recording();
    expect(recording.links).toEqual(first.written);
    const snapshot = await lab.snapshot(recording);
    expect(snapshot.peers.map((peer) => [peer.name, peer.linkSource, peer.neighbors])).toEqual([
      ["alice", "events", ["bob"]],
      ["bob", "tcp-table", ["alice", "carol"]],
      ["carol", "tcp-table", ["bob", "dave"]],
      ["dave", "events", ["carol"]],
    ]);
    expect(snapshot.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
  });

  it("a fault looks before and after: killing the bridge is recorded as links down, and partitions split", async () => {
    const lab = await observedChain();
    const result = await control(lab, "kill", "bob", 5, never);
    expect(result.partitionsAfter).toEqual([["alice"], ["carol", "dave"]]);
    const records = (await lab.recording()).links.map((r) => `${r.target}: +${r.up.join(",")} -${r.down.join(",")}`);
    expect(records).toEqual(["bob: +alice,carol -", "carol: +bob,dave -", "bob: + -alice,carol", "carol: + -bob"]);
  });

  it("watching: changes made behind lab's back are recorded as the background polls see them", async () => {
    const lab = await observedChain();
    await lab.recordObservedLinks();
    lab.watchLinks();
    try {
      await lab.runtime.kill((await lab.peer("dave")).id, "SIGKILL");
      await waitFor(
        async () =>
          (await lab.recording()).links.some((r) => r.target === "carol" && r.down.includes("dave")) ? true : undefined,
        { what: "carol's link to dave recorded down", intervalMs: 50, timeoutMs: 5000, signal: never },
      );
    } finally {
      await lab.stopWatchingLinks();
    }
  });

  it("watching: a poll the engine fails ends the watch, and stopping it says why", async () => {
    class GoneEngine extends MemoryRuntime {
      override async readTcpTables(): Promise<TcpTables> {
        throw new EnvironmentError("no Docker engine answers", "start it");
      }
    }
    vi.stubEnv(OBSERVE_LINKS_VARIABLE, "bob");
    const runtime = new GoneEngine();
    const { lab } = await up(runtime, shipped("topologies/chain.yaml"), upOptions());
    try {
      // The first poll starts at once: stopping waits for it, and it fails.
      lab.watchLinks();
      await expect(lab.stopWatchingLinks()).rejects.toBeInstanceOf(EnvironmentError);
      await lab.stopWatchingLinks();
    } finally {
      await runtime.close();
    }
  });
});
