import { describe, expect, it } from "vitest";
import { describeEvent, type PeerEvent } from "../../../peer/src/events.js";
import { NO_NETWORK_FAULTS } from "../faults/network-faults.js";
import type { LabSnapshot } from "../lab/lab.js";
import type { LinkRecord } from "../transcript/link-records.js";
import type { PeerLine } from "../transcript/transcript.js";
import { colors } from "./output.js";
import { WatchView } from "./watch-view.js";

const TS = "2025-01-01T12:00:01.000Z";

function eventLine(event: PeerEvent): PeerLine {
  return { peer: event.peer, ts: event.ts, stream: "stdout", text: JSON.stringify(event), event };
}

const recv: PeerEvent = {
  ts: TS,
  peer: "bob",
  ev: "recv",
  id: "alice:1:1",
  origin: "alice",
  hops: 1,
  from: "alice",
  text: "hi",
};
const listening: PeerEvent = { ts: TS, peer: "bob", ev: "listening", port: 7000 };
const observed: LinkRecord = {
  ts: TS,
  peer: "lab",
  ev: "links",
  target: "bob",
  neighbors: [],
  up: [],
  down: ["alice"],
  source: "tcp-table",
};
const stderrLine: PeerLine = { peer: "bob", ts: TS, stream: "stderr", text: "node: warning" };

function snapshot(partitions: string[][], bob: "running" | "paused" = "running"): LabSnapshot {
  return {
    lab: "duo",
    description: "two peers",
    peers: [
      { name: "alice", status: "running", neighbors: partitions.length === 1 ? ["bob"] : [], linkSource: "events" },
      { name: "bob", status: bob, neighbors: partitions.length === 1 ? ["alice"] : [], linkSource: "events" },
    ],
    network: NO_NETWORK_FAULTS,
    overlay: { links: partitions.length === 1 ? [["alice", "bob"]] : [], cut: [], partitions },
    journal: "running",
  };
}

describe("watch --json", () => {
  it("prints every event a peer printed as one JSON object per line, as the peer printed it; nothing else a peer printed", () => {
    const view = new WatchView("json", colors(false));
    expect(view.line(eventLine(recv))).toEqual([JSON.stringify(recv)]);
    expect(view.line(eventLine(listening))).toEqual([JSON.stringify(listening)]);
    expect(view.line(stderrLine)).toEqual([]);
    for (const line of [...view.line(eventLine(recv)), ...view.line(eventLine(listening))])
      expect(JSON.parse(line)).toHaveProperty("ev");
  });

  it("prints a change of the links lab observed as the lab's own record", () => {
    expect(new WatchView("json", colors(false)).observed(observed)).toEqual([JSON.stringify(observed)]);
  });

  it("prints the lab's status as one line, tagged as the lab's own record, first and then each time it changes", () => {
    const view = new WatchView("json", colors(false));
    const first = view.status(snapshot([["alice", "bob"]]), TS);
    expect(first).toHaveLength(1);
    expect(first[0]).not.toContain("\n");
    expect(JSON.parse(first[0]!)).toEqual({ ts: TS, peer: "lab", ev: "status", ...snapshot([["alice", "bob"]]) });
    expect(view.status(snapshot([["alice", "bob"]]), "2025-01-01T12:00:02.000Z")).toEqual([]);
    const paused = view.status(snapshot([["alice"]], "paused"), "2025-01-01T12:00:03.000Z");
    expect(JSON.parse(paused[0]!)).toMatchObject({
      ts: "2025-01-01T12:00:03.000Z",
      ev: "status",
      overlay: { partitions: [["alice"]] },
      peers: [{ name: "alice" }, { name: "bob", status: "paused" }],
    });
  });
});

describe("watch, piped", () => {
  it("prints the feed's lines (deliveries, link changes) as they come, and each partition change once", () => {
    const view = new WatchView("lines", colors(false));
    expect(view.line(eventLine(recv))).toEqual(["12:00:01.000  bob ← alice: hi (from alice, 1 hop)"]);
    expect(view.line(eventLine(listening))).toEqual([]);
    expect(view.status(snapshot([["alice", "bob"]]), TS)).toEqual(["-- partitions: {alice, bob}"]);
    expect(view.status(snapshot([["alice", "bob"]]), TS)).toEqual([]);
    expect(view.status(snapshot([["alice"]], "paused"), TS)).toEqual(["-- partitions: {alice}"]);
    expect(view.observed(observed)).toEqual(["12:00:01.000  lab: bob's TCP table: links down alice; now none"]);
  });

  it("prints the network faults in force and the links they cut with the partitions, once each time they change", () => {
    const view = new WatchView("lines", colors(false));
    const partitioned: LabSnapshot = {
      ...snapshot([["alice"], ["bob"]]),
      network: { ...NO_NETWORK_FAULTS, partition: [["alice"], ["bob"]] },
      overlay: { links: [], cut: [{ from: "alice", to: "bob", oneWay: false }], partitions: [["alice"], ["bob"]] },
    };
    expect(view.status(partitioned, TS)).toEqual([
      "-- partitions: {alice} {bob}; network: partition {alice} / {bob}; cut: alice ↔ bob",
    ]);
    expect(view.status(partitioned, TS)).toEqual([]);
    expect(view.status(snapshot([["alice", "bob"]]), TS)).toEqual(["-- partitions: {alice, bob}"]);
  });

  it("shows the closes a person needs to see: a neighbour dropped for not reading, a connection closed before hello", () => {
    const view = new WatchView("lines", colors(false));
    expect(
      view.line(eventLine({ ts: TS, peer: "bob", ev: "slow-consumer", neighbor: "alice", queued: 1048576 })),
    ).toEqual(["12:00:01.000  bob ✕ alice: not reading, dropped with 1048576 bytes unsent"]);
    const handshake: PeerEvent = {
      ts: TS,
      peer: "bob",
      ev: "handshake-failed",
      addr: "10.0.0.9:5000",
      dir: "in",
      reason: "handshake timeout",
    };
    expect(view.line(eventLine(handshake))).toEqual([
      "12:00:01.000  bob ✕ 10.0.0.9:5000: incoming connection closed before hello (handshake timeout)",
    ]);
  });

  it("shows heal mode's repairs and what a crash handler tried", () => {
    const view = new WatchView("lines", colors(false));
    const repair: PeerEvent = {
      ts: TS,
      peer: "alice",
      ev: "link-up",
      neighbor: "carol",
      addr: "carol:7000",
      dir: "out",
      repair: true,
    };
    expect(view.line(eventLine(repair))).toEqual([
      "12:00:01.000  alice ⇄ carol: link up, a repair (connected to carol:7000)",
    ]);
    const handler: PeerEvent = {
      ts: TS,
      peer: "bob",
      ev: "crash-handler",
      reason: "SIGTERM",
      action: "reconnecting to alice:7000",
    };
    expect(view.line(eventLine(handler))).toEqual([`12:00:01.000  ${describeEvent(handler)}`]);
  });

  it("shows a delay the peer does itself (lab delay without netem)", () => {
    const view = new WatchView("lines", colors(false));
    const delay: PeerEvent = { ts: TS, peer: "bob", ev: "delay", neighbor: "carol", ms: 200, jitterMs: 50 };
    expect(view.line(eventLine(delay))).toEqual([`12:00:01.000  ${describeEvent(delay)}`]);
  });
});

describe("watch on a terminal", () => {
  it("keeps the feed for the next redraw, under the status", () => {
    const view = new WatchView("screen", colors(false));
    expect(view.line(eventLine(recv))).toEqual([]);
    expect(view.observed(observed)).toEqual([]);
    const screen = view.status(snapshot([["alice", "bob"]]), TS);
    expect(screen[0]).toBe("lab duo — two peers");
    expect(screen.slice(-3)).toEqual([
      "feed  (Ctrl-C leaves the lab running)",
      "12:00:01.000  bob ← alice: hi (from alice, 1 hop)",
      "12:00:01.000  lab: bob's TCP table: links down alice; now none",
    ]);
  });
});
