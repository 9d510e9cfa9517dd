import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import { Wiring } from "./wiring.js";

const ts = "2026-11-25T12:00:00.000Z";
const up = (peer: string, neighbor: string): PeerEvent => ({ ts, peer, ev: "link-up", neighbor, addr: "x", dir: "in" });

describe("Wiring", () => {
  it("waits for both ends of every configured link", () => {
    const wiring = new Wiring(
      ["alice", "bob", "carol"],
      [
        ["bob", "alice"],
        ["carol", "bob"],
      ],
    );
    for (const peer of ["alice", "bob", "carol"]) wiring.observe({ ts, peer, ev: "listening", port: 7000 });
    expect(wiring.missing()).toEqual([
      { link: ["bob", "alice"], silent: ["bob", "alice"] },
      { link: ["carol", "bob"], silent: ["carol", "bob"] },
    ]);
    wiring.observe(up("bob", "alice"));
    wiring.observe(up("alice", "bob"));
    wiring.observe(up("carol", "bob"));
    expect(wiring.missing()).toEqual([{ link: ["carol", "bob"], silent: ["bob"] }]);
    expect(wiring.complete).toBe(false);
    wiring.observe(up("bob", "carol"));
    expect(wiring.complete).toBe(true);
  });

  it("a peer without links is wired once it listens", () => {
    const wiring = new Wiring(["solo"], []);
    expect(wiring.notListening()).toEqual(["solo"]);
    expect(wiring.complete).toBe(false);
    wiring.observe({ ts, peer: "solo", ev: "listening", port: 7000 });
    expect(wiring.complete).toBe(true);
  });

  it("a link that goes down is missing again", () => {
    const wiring = new Wiring(["a", "b"], [["b", "a"]]);
    wiring.observe(up("a", "b"));
    wiring.observe(up("b", "a"));
    wiring.observe({ ts, peer: "a", ev: "link-down", neighbor: "b", reason: "eof" });
    expect(wiring.missing()).toEqual([{ link: ["b", "a"], silent: ["a"] }]);
  });
});

describe("Wiring with programs that print no link events", () => {
  it("awaits their ready lines only, and a link from the end that reports it", () => {
    const wiring = new Wiring(
      ["json", "a", "b"],
      [
        ["a", "json"],
        ["b", "a"],
      ],
      new Set(["json"]),
    );
    expect(wiring.unseen()).toEqual([["b", "a"]]);
    for (const peer of ["json", "a", "b"]) wiring.observe({ ts, peer, ev: "listening", port: 7000 });
    expect(wiring.missing()).toEqual([{ link: ["a", "json"], silent: ["json"] }]);
    wiring.observe(up("json", "a"));
    expect(wiring.complete).toBe(true);
  });
});
