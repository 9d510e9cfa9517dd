import { afterEach, describe, expect, it } from "vitest";
import { MemoryLabs, shipped } from "../../../test/support/memory-lab.js";
import type { NetworkFault } from "../faults/network-faults.js";
import { waitFor } from "../wait.js";
import { NetworkFollower } from "./network-follower.js";

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

const halves: NetworkFault = {
  kind: "partition",
  groups: [
    ["alice", "bob"],
    ["carol", "dave"],
  ],
};

describe("the network faults of a running lab, on a memory runtime", () => {
  it("the snapshot replays the journal's network faults: the bridge the peers still report up is cut, the chain split", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    await lab.record({ action: "partition", fault: halves });
    const snapshot = await lab.snapshot();
    expect(snapshot.network.partition).toEqual(halves.groups);
    expect(snapshot.peers.find((peer) => peer.name === "bob")!.neighbors).toEqual(["alice", "carol"]);
    expect(snapshot.overlay.cut).toEqual([{ from: "bob", to: "carol", oneWay: false }]);
    expect(snapshot.overlay.partitions).toEqual([
      ["alice", "bob"],
      ["carol", "dave"],
    ]);
    await lab.record({ action: "heal", fault: { kind: "heal" } });
    expect((await lab.snapshot()).overlay).toMatchObject({ cut: [], partitions: [["alice", "bob", "carol", "dave"]] });
  });

  it("watch's follower starts from the actions already read and picks up each one journalled after, once", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    await lab.record({ action: "cut", fault: { kind: "cut", from: "alice", to: "bob", oneWay: true } });
    const stop = new AbortController();
    const follower = new NetworkFollower(
      lab.runtime,
      (await lab.containers()).journal,
      (await lab.recording()).actions,
      stop.signal,
    );
    expect(follower.state.cuts).toEqual([{ from: "alice", to: "bob" }]);
    await lab.record({ action: "partition", fault: halves });
    await waitFor(() => (follower.state.partition ? true : undefined), {
      what: "the partition in the follower's state",
      intervalMs: 20,
      timeoutMs: 5000,
      signal: new AbortController().signal,
    });
    expect(follower.state).toMatchObject({ partition: halves.groups, cuts: [{ from: "alice", to: "bob" }] });
    stop.abort();
    await follower.closed();
  });
});
