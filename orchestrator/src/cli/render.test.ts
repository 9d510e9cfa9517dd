import { describe, expect, it } from "vitest";
import { NO_NETWORK_FAULTS, afterNetworkFault } from "../faults/network-faults.js";
import type { LabSnapshot } from "../lab/lab.js";
import { colors } from "./output.js";
import { renderSendResult, renderSnapshot } from "./render.js";

describe("renderSendResult", () => {
  it("says who received it, with what the peers reported shown escaped", () => {
    const result = {
      peer: "alice",
      text: "left\u202eright",
      id: "alice:1:1\u001b[2J",
      receivedBy: ["bob"],
      reachable: ["bob", "carol"],
    };
    expect(renderSendResult(result, colors(false))).toEqual([
      'alice sent "left\\u202eright" (alice:1:1\\x1b[2J)',
      "  received by: bob",
      "  not received by carol, though reachable when it was sent",
    ]);
  });
});

describe("renderSnapshot", () => {
  const snapshot: LabSnapshot = {
    lab: "first",
    peers: [
      { name: "a", status: "running", neighbors: ["b"], linkSource: "events" },
      { name: "b", status: "running", neighbors: ["a"], linkSource: "events" },
    ],
    network: NO_NETWORK_FAULTS,
    overlay: { links: [["a", "b"]], cut: [], partitions: [["a", "b"]] },
    journal: "running",
  };

  it("heads the status with the lab's name, and its description when the topology has one", () => {
    expect(renderSnapshot(snapshot, colors(false))[0]).toBe("lab first");
    expect(renderSnapshot({ ...snapshot, description: "two peers" }, colors(false))[0]).toBe("lab first — two peers");
  });

  it("marks links lab observed rather than heard from the peer, and warns when they are a guess", () => {
    const observed: LabSnapshot = {
      ...snapshot,
      peers: [
        { name: "a", status: "running", neighbors: ["b"], linkSource: "tcp-table" },
        { name: "b", status: "running", neighbors: ["a"], linkSource: "configured", linkSourceReason: "no cat\u001b" },
      ],
    };
    const lines = renderSnapshot(observed, colors(false));
    expect(lines.slice(2, 5)).toEqual([
      "PEER  STATE    NEIGHBOURS",
      "a     running  b (TCP table)",
      "b     running  a (configured links)",
    ]);
    expect(lines.at(-1)).toBe(
      "warning: b's links shown are its configured links to running peers, a guess: no cat\\x1b",
    );
  });
});

describe("renderSnapshot under network faults", () => {
  const partitioned: LabSnapshot = {
    lab: "chain",
    peers: [
      { name: "alice", status: "running", neighbors: ["bob"], linkSource: "events" },
      { name: "bob", status: "running", neighbors: ["alice", "carol"], linkSource: "events" },
      { name: "carol", status: "running", neighbors: ["bob"], linkSource: "events" },
    ],
    network: afterNetworkFault(
      afterNetworkFault(NO_NETWORK_FAULTS, { kind: "partition", groups: [["alice", "bob"], ["carol"]] }),
      { kind: "loss", peer: "alice", percent: 5 },
    ),
    overlay: {
      links: [["alice", "bob"]],
      cut: [{ from: "bob", to: "carol", oneWay: false }],
      partitions: [["alice", "bob"], ["carol"]],
    },
    journal: "running",
  };

  it("marks neighbours across a cut link, leaves the cut link out of the drawing, and lists the faults in force", () => {
    const lines = renderSnapshot(partitioned, colors(false));
    expect(lines.slice(2, 6)).toEqual([
      "PEER   STATE    NEIGHBOURS",
      "alice  running  bob",
      "bob    running  alice, carol ✂",
      "carol  running  bob ✂",
    ]);
    expect(lines).toContain("  alice ── bob");
    expect(lines).toContain("  carol");
    expect(lines.slice(-4)).toEqual([
      "2 partitions: {alice, bob} {carol}",
      "network: partition {alice, bob} / {carol}",
      "network: loss 5% on alice",
      "cut: bob ↔ carol (dropped by the network; reported up until the heartbeat times out)",
    ]);
  });

  it("says nothing of the network when no fault is in force", () => {
    const quiet = { ...partitioned, network: NO_NETWORK_FAULTS, overlay: { ...partitioned.overlay, cut: [] } };
    expect(renderSnapshot(quiet, colors(false)).some((line) => /^(network|cut):/.test(line))).toBe(false);
  });

  it("colours a cut neighbour red on a terminal", () => {
    expect(renderSnapshot(partitioned, colors(true)).join("\n")).toContain("\u001b[31mcarol ✂");
  });
});
