import { describe, expect, it } from "vitest";
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
      { name: "a", status: "running", neighbors: ["b"] },
      { name: "b", status: "running", neighbors: ["a"] },
    ],
    overlay: { links: [["a", "b"]], partitions: [["a", "b"]] },
    journal: "running",
  };

  it("heads the status with the lab's name, and its description when the topology has one", () => {
    expect(renderSnapshot(snapshot, colors(false))[0]).toBe("lab first");
    expect(renderSnapshot({ ...snapshot, description: "two peers" }, colors(false))[0]).toBe("lab first — two peers");
  });
});
