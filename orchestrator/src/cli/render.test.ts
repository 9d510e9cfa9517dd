import { describe, expect, it } from "vitest";
import { NO_NETWORK_FAULTS } from "../faults/network-faults.js";
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
