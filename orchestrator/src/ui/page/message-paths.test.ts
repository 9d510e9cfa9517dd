import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../../peer/src/events.js";
import type { UiFeedItem } from "../protocol.js";
import { MAX_DOTS, hopsToAnimate } from "./message-paths.js";

const POSITIONS = new Map([
  ["alice", { x: 0, y: 0 }],
  ["bob", { x: 10, y: 0 }],
]);

function item(peer: string, event?: Partial<PeerEvent> & { ev: string }): UiFeedItem {
  const full = event && ({ ts: "t", peer, id: "m1", origin: "alice", hops: 1, text: "hi", ...event } as PeerEvent);
  return { ts: "t", peer, text: "a line", ...(full ? { event: full } : {}) };
}

describe("hopsToAnimate", () => {
  it("moves a dot from the sender to the receiver for each recv and dup", () => {
    expect(
      hopsToAnimate(
        [item("bob", { ev: "recv", from: "alice" }), item("alice", { ev: "dup", from: "bob" })],
        POSITIONS,
        0,
      ),
    ).toEqual([
      { from: { x: 0, y: 0 }, to: { x: 10, y: 0 }, duplicate: false },
      { from: { x: 10, y: 0 }, to: { x: 0, y: 0 }, duplicate: true },
    ]);
  });

  it("skips lines that are no hop, and peers the drawing does not place", () => {
    const items = [item("alice", { ev: "sent" }), item("lab"), item("bob", { ev: "recv", from: "zed" })];
    expect(hopsToAnimate(items, POSITIONS, 0)).toEqual([]);
  });

  it("drops what exceeds MAX_DOTS moving at once, so a flood does not freeze the page", () => {
    const flood = Array.from({ length: 200 }, () => item("bob", { ev: "recv", from: "alice" }));
    expect(hopsToAnimate(flood, POSITIONS, 0)).toHaveLength(MAX_DOTS);
    expect(hopsToAnimate(flood, POSITIONS, MAX_DOTS - 3)).toHaveLength(3);
    expect(hopsToAnimate(flood, POSITIONS, MAX_DOTS)).toEqual([]);
  });
});
