import { describe, expect, it } from "vitest";
import { colors } from "./output.js";
import { renderSendResult } from "./render.js";

describe("renderSendResult", () => {
  it("says who received it, with what the peers reported shown escaped", () => {
    const result = { peer: "alice", text: "left\u202eright", id: "alice:1:1\u001b[2J", receivedBy: ["bob"], reachable: ["bob", "carol"] };
    expect(renderSendResult(result, colors(false))).toEqual([
      'alice sent "left\\u202eright" (alice:1:1\\x1b[2J)',
      "  received by: bob",
      "  not received by carol, though reachable when it was sent",
    ]);
  });
});
