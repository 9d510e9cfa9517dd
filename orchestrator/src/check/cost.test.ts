import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import { loadTopology } from "../topology/load.js";
import type { Topology } from "../topology/schema.js";
import type { Action } from "../transcript/journal.js";
import { mergeTimeline } from "../transcript/transcript.js";
import { checkDeliveries } from "./checker.js";
import { broadcastCosts, costSummary, repairsOf, spread } from "./cost.js";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const at = (ms: number): string => new Date(T0 + ms).toISOString();

const copy =
  (ev: "recv" | "dup" | "hop-limit") =>
  (ms: number, peer: string, id: string, from: string, hops = 1): PeerEvent =>
    ev === "recv"
      ? { ts: at(ms), peer, ev, id, origin: id.split(":")[0]!, from, hops, text: "x" }
      : { ts: at(ms), peer, ev, id, origin: id.split(":")[0]!, from, hops };
const [recv, dup, hopLimit] = [copy("recv"), copy("dup"), copy("hop-limit")];
const sent = (ms: number, peer: string, id: string): PeerEvent => ({
  ts: at(ms),
  peer,
  ev: "sent",
  id,
  origin: peer,
  text: "x",
  to: [],
});
const linkUp = (ms: number, peer: string, neighbor: string, repair = false): PeerEvent => ({
  ts: at(ms),
  peer,
  ev: "link-up",
  neighbor,
  addr: `${neighbor}:7000`,
  dir: "out",
  ...(repair ? { repair: true as const } : {}),
});
const linkDown = (ms: number, peer: string, neighbor: string, reason = "eof"): PeerEvent => ({
  ts: at(ms),
  peer,
  ev: "link-down",
  neighbor,
  reason,
});
const listening = (ms: number, ...peers: string[]): PeerEvent[] =>
  peers.map((peer) => ({ ts: at(ms), peer, ev: "listening", port: 7000 }));

function load(yaml: string): Topology {
  const loaded = loadTopology(`name: cost\n${yaml}`, "cost.yaml");
  if (!loaded.ok) throw new Error(loaded.errors.map((error) => error.message).join("; "));
  return loaded.topology;
}

describe("broadcastCosts", () => {
  it("counts every recv and dup of a message as a payload frame, against the peers it should reach", () => {
    const records = mergeTimeline(
      [
        sent(0, "a", "a:1"),
        recv(1, "b", "a:1", "a"),
        recv(1, "c", "a:1", "a"),
        dup(2, "c", "a:1", "b", 2),
        dup(2, "b", "a:1", "c", 2),
        dup(3, "a", "a:1", "b", 2),
        recv(1, "b", "other:1", "other"),
      ],
      [],
      [],
    );
    expect(broadcastCosts([{ id: "a:1", origin: "a", reachable: ["b", "c"] }], records)).toEqual([
      { id: "a:1", origin: "a", frames: 5, floor: 2, duplicates: 3, hopLimitDrops: 0 },
    ]);
  });

  it("in tree mode a second recv at a peer, or one back at the sender, is a duplicate; hop-limit drops are counted apart", () => {
    const records = mergeTimeline(
      [
        recv(1, "b", "a:1", "a"),
        recv(2, "b", "a:1", "c", 2),
        recv(3, "a", "a:1", "b", 3),
        hopLimit(3, "a", "a:1", "b", 3),
      ],
      [],
      [],
    );
    expect(broadcastCosts([{ id: "a:1", origin: "a", reachable: ["b"] }], records)).toEqual([
      { id: "a:1", origin: "a", frames: 3, floor: 1, duplicates: 2, hopLimitDrops: 1 },
    ]);
  });

  it("a message nobody received cost nothing", () => {
    expect(broadcastCosts([{ id: "a:1", origin: "a", reachable: [] }], [])).toEqual([
      { id: "a:1", origin: "a", frames: 0, floor: 0, duplicates: 0, hopLimitDrops: 0 },
    ]);
  });
});

describe("spread", () => {
  it("gives min, median and max, the median of an even count between the middle two", () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3 });
    expect(spread([4, 1, 2, 10])).toEqual({ min: 1, median: 3, max: 10 });
    expect(spread([2 / 3])).toEqual({ min: 0.667, median: 0.667, max: 0.667 });
    expect(spread([])).toEqual({ min: 0, median: 0, max: 0 });
  });
});

describe("costSummary", () => {
  it("groups broadcasts by their sender's mode in a mixed lab, with the ratio to the floor", () => {
    const topology = load(
      [
        "peers:",
        "  a: { mode: dedup }",
        "  b: { connect: [a], mode: heal }",
        "  c: { connect: [a, b], mode: heal }",
        "  d: { connect: [c], image: student/peer:1 }",
      ].join("\n"),
    );
    const events: PeerEvent[] = [
      ...listening(0, "a", "b", "c", "d"),
      linkUp(10, "b", "a"),
      linkUp(10, "c", "a"),
      linkUp(10, "c", "b"),
      linkUp(10, "d", "c"),
      sent(100, "a", "a:1"),
      recv(101, "b", "a:1", "a"),
      recv(101, "c", "a:1", "a"),
      dup(102, "c", "a:1", "b", 2),
      dup(102, "b", "a:1", "c", 2),
      recv(103, "d", "a:1", "c", 2),
      sent(200, "b", "b:1"),
      recv(201, "a", "b:1", "b"),
      recv(201, "c", "b:1", "b"),
      recv(202, "d", "b:1", "c", 2),
      sent(300, "c", "c:1"),
      recv(301, "a", "c:1", "c"),
      recv(301, "b", "c:1", "c"),
      recv(301, "d", "c:1", "c"),
      dup(302, "b", "c:1", "a", 2),
      sent(400, "d", "d:1"),
      recv(401, "c", "d:1", "d"),
      recv(402, "a", "d:1", "c", 2),
      recv(402, "b", "d:1", "c", 2),
    ];
    const records = mergeTimeline(events, [], []);
    const { messages } = checkDeliveries(topology, records);
    const cost = costSummary(topology, messages, records);
    expect(cost.mixed).toBe(true);
    expect(cost.broadcasts.map((b) => [b.id, b.mode, b.frames, b.floor])).toEqual([
      ["a:1", "dedup", 5, 3],
      ["b:1", "heal", 3, 3],
      ["c:1", "heal", 4, 3],
      ["d:1", "own program", 3, 3],
    ]);
    expect(cost.byMode).toEqual([
      {
        mode: "dedup",
        broadcasts: 1,
        frames: { min: 5, median: 5, max: 5 },
        floor: { min: 3, median: 3, max: 3 },
        ratio: { min: 1.667, median: 1.667, max: 1.667 },
        duplicates: 2,
        hopLimitDrops: 0,
      },
      {
        mode: "heal",
        broadcasts: 2,
        frames: { min: 3, median: 3.5, max: 4 },
        floor: { min: 3, median: 3, max: 3 },
        ratio: { min: 1, median: 1.167, max: 1.333 },
        duplicates: 1,
        hopLimitDrops: 0,
      },
      {
        mode: "own program",
        broadcasts: 1,
        frames: { min: 3, median: 3, max: 3 },
        floor: { min: 3, median: 3, max: 3 },
        ratio: { min: 1, median: 1, max: 1 },
        duplicates: 0,
        hopLimitDrops: 0,
      },
    ]);
    expect(cost.repairs).toEqual([]);
  });

  it("a lab of one mode is not mixed; a sender with nobody to reach has no ratio", () => {
    const topology = load("defaults: { mode: dedup }\npeers:\n  a: {}\n  b: { connect: [a] }\n");
    const records = mergeTimeline([...listening(0, "a", "b"), sent(100, "a", "a:1")], [], []);
    const cost = costSummary(topology, checkDeliveries(topology, records).messages, records);
    expect(cost.mixed).toBe(false);
    expect(cost.byMode).toEqual([
      {
        mode: "dedup",
        broadcasts: 1,
        frames: { min: 0, median: 0, max: 0 },
        floor: { min: 0, median: 0, max: 0 },
        duplicates: 0,
        hopLimitDrops: 0,
      },
    ]);
  });
});

describe("repairsOf", () => {
  it("lists each link a heal peer dialled on its own, after the loss that led to it and the peer's own link-down", () => {
    const actions: Action[] = [
      { ts: at(0), action: "up" },
      { ts: at(1000), action: "kill", target: "b", detail: "SIGKILL" },
      { ts: at(1500), action: "send", target: "a", detail: "hi" },
    ];
    const records = mergeTimeline(
      [
        linkUp(10, "a", "b"),
        linkUp(10, "b", "c"),
        linkDown(1004, "a", "b"),
        linkDown(1005, "c", "b"),
        linkUp(1250, "a", "c", true),
        linkUp(1251, "c", "a"),
        linkUp(3000, "d", "a", true),
      ],
      actions,
      [],
    );
    expect(repairsOf(records)).toEqual([
      {
        peer: "a",
        neighbor: "c",
        at: at(1250),
        loss: { description: "lab kill b: SIGKILL", at: at(1000), afterMs: 250 },
        linkDown: { description: "a lost b (eof)", at: at(1004), afterMs: 246 },
      },
      {
        peer: "d",
        neighbor: "a",
        at: at(3000),
        loss: { description: "lab kill b: SIGKILL", at: at(1000), afterMs: 2000 },
      },
    ]);
  });

  it("a repair with no loss before it (a peer reaching its minimum at start) follows nothing", () => {
    expect(repairsOf(mergeTimeline([linkUp(10, "a", "c", true)], [{ ts: at(0), action: "up" }], []))).toEqual([
      { peer: "a", neighbor: "c", at: at(10) },
    ]);
  });
});
