import { afterEach, describe, expect, it } from "vitest";
import { FAST, MemoryLabs, shipped, upOptions } from "../../../test/support/memory-lab.js";
import { reportedNeighbors } from "../check/overlay.js";
import { MemoryRuntime } from "../runtime/memory-runtime.js";
import { TcpTablesUnreadableError, type Labels, type TcpTables } from "../runtime/runtime.js";
import { control } from "./control.js";
import { recordingEvents, type Lab } from "./lab.js";
import { observeLinks } from "./observe-links.js";
import { up } from "./up.js";

const never = new AbortController().signal;
const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

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
