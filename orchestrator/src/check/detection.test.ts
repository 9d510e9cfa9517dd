import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import type { NetworkFault } from "../faults/network-faults.js";
import type { Action } from "../transcript/journal.js";
import type { LinkRecord } from "../transcript/link-records.js";
import { mergeTimeline, type TimelineRecord } from "../transcript/transcript.js";
import { detectionTimes } from "./detection.js";

const at = (ms: number): string => new Date(Date.UTC(2026, 10, 25, 12, 0, 0, ms)).toISOString();
const PEERS = ["alice", "bob", "carol", "dave"];

/** A wired chain alice–bob–carol–dave, then what happened: lab's actions, link-downs, observations. */
function chain(...happened: Array<Action | PeerEvent | LinkRecord>): TimelineRecord[] {
  const events: PeerEvent[] = PEERS.map((peer) => ({ ts: at(0), peer, ev: "listening", port: 7000 }));
  for (const [a, b] of [
    ["alice", "bob"],
    ["bob", "carol"],
    ["carol", "dave"],
  ] as const) {
    events.push({ ts: at(10), peer: a, ev: "link-up", neighbor: b, addr: "x", dir: "out" });
    events.push({ ts: at(10), peer: b, ev: "link-up", neighbor: a, addr: "x", dir: "in" });
  }
  const actions = happened.filter((record): record is Action => "action" in record);
  const links = happened.filter((record): record is LinkRecord => "ev" in record && record.ev === "links");
  const peerEvents = happened.filter((record): record is PeerEvent => "ev" in record && record.ev !== "links");
  return mergeTimeline([...events, ...peerEvents], actions, [], links);
}
const act = (ms: number, action: string, target: string): Action => ({ ts: at(ms), action, target });
const net = (ms: number, fault: NetworkFault): Action => ({ ts: at(ms), action: fault.kind, fault });
const down = (ms: number, peer: string, neighbor: string, reason: string): PeerEvent => ({
  ts: at(ms),
  peer,
  ev: "link-down",
  neighbor,
  reason,
});

describe("detectionTimes", () => {
  it("a killed bridge: each neighbour notices at once, by EOF; the dead peer's own end is not watched", () => {
    const records = chain(
      act(1000, "kill", "bob"),
      down(1004, "alice", "bob", "eof"),
      down(1006, "carol", "bob", "eof"),
    );
    expect(detectionTimes(PEERS, records)).toEqual([
      {
        action: "kill",
        description: "lab kill bob",
        at: at(1000),
        ends: [
          { peer: "alice", neighbor: "bob", reason: "eof", at: at(1004), afterMs: 4 },
          { peer: "carol", neighbor: "bob", reason: "eof", at: at(1006), afterMs: 6 },
        ],
      },
    ]);
  });

  it("a paused bridge: noticed only when the heartbeat times out; a neighbour that never does is not detected", () => {
    const records = chain(act(1000, "pause", "bob"), down(4010, "alice", "bob", "timeout"));
    expect(detectionTimes(PEERS, records)[0]!.ends).toEqual([
      { peer: "alice", neighbor: "bob", reason: "timeout", at: at(4010), afterMs: 3010 },
      { peer: "carol", neighbor: "bob" },
    ]);
  });

  it("a pause undone before the timeout: not detected, and when it was undone; a later link-down is not this fault's", () => {
    const records = chain(act(1000, "pause", "bob"), act(2000, "resume", "bob"), down(9000, "alice", "bob", "eof"));
    expect(detectionTimes(PEERS, records)[0]!.ends).toEqual([
      { peer: "alice", neighbor: "bob", undoneAt: at(2000) },
      { peer: "carol", neighbor: "bob", undoneAt: at(2000) },
    ]);
  });

  it("a partition: both ends of each link it blocked, by timeout; links inside a group are not watched", () => {
    const partition = net(1000, {
      kind: "partition",
      groups: [
        ["alice", "bob"],
        ["carol", "dave"],
      ],
    });
    const records = chain(partition, down(4002, "bob", "carol", "timeout"), down(4005, "carol", "bob", "timeout"));
    expect(detectionTimes(PEERS, records)).toEqual([
      {
        action: "partition",
        description: "lab partition: partitioned the network: {alice, bob} / {carol, dave}",
        at: at(1000),
        ends: [
          { peer: "bob", neighbor: "carol", reason: "timeout", at: at(4002), afterMs: 3002 },
          { peer: "carol", neighbor: "bob", reason: "timeout", at: at(4005), afterMs: 3005 },
        ],
      },
    ]);
  });

  it("a one-way cut watches both ends; heal ends the watch; cutting the link already cut is no new silence", () => {
    const records = chain(
      net(1000, { kind: "cut", from: "carol", to: "dave", oneWay: true }),
      down(4000, "dave", "carol", "timeout"),
      net(5000, { kind: "cut", from: "carol", to: "dave", oneWay: false }),
      net(6000, { kind: "heal" }),
    );
    const detections = detectionTimes(PEERS, records);
    expect(detections).toHaveLength(1);
    expect(detections[0]!.ends).toEqual([
      { peer: "carol", neighbor: "dave", undoneAt: at(6000) },
      { peer: "dave", neighbor: "carol", reason: "timeout", at: at(4000), afterMs: 3000, undoneAt: at(6000) },
    ]);
  });

  it("a peer lab observes from outside notices when the link leaves its TCP table", () => {
    const observed: LinkRecord = {
      ts: at(1500),
      peer: "lab",
      ev: "links",
      target: "carol",
      neighbors: ["dave"],
      up: [],
      down: ["bob"],
      source: "tcp-table",
    };
    const records = chain(act(1000, "stop", "bob"), observed);
    expect(detectionTimes(PEERS, records)[0]!.ends).toContainEqual({
      peer: "carol",
      neighbor: "bob",
      reason: "gone from its TCP table",
      at: at(1500),
      afterMs: 500,
    });
  });

  it("faults that silence nothing (loss, delay, rate, heal, resume, send) are not listed", () => {
    const records = chain(net(1000, { kind: "loss", peer: "alice", percent: 10 }), net(2000, { kind: "heal" }), {
      ts: at(2500),
      action: "send",
      target: "alice",
      detail: "hi",
    });
    expect(detectionTimes(PEERS, records)).toEqual([]);
  });
});
