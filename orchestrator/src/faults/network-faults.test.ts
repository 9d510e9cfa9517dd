import { describe, expect, it } from "vitest";
import {
  NO_NETWORK_FAULTS,
  PartitionProblem,
  afterNetworkFault,
  describeNetworkFault,
  describeNetworkState,
  isBlocked,
  isQuiet,
  networkFaultSchema,
  completeGroups,
  parseGroups,
  parsePercent,
  parseRate,
  randomPartition,
  type NetworkFault,
} from "./network-faults.js";

const PEERS = ["alice", "bob", "carol", "dave"];
const replay = (...faults: NetworkFault[]) => faults.reduce(afterNetworkFault, NO_NETWORK_FAULTS);

describe("the network fault state", () => {
  it("blocks every pair across a partition's groups, both ways, and none inside a group", () => {
    const state = replay({
      kind: "partition",
      groups: [
        ["alice", "bob"],
        ["carol", "dave"],
      ],
    });
    expect(isBlocked(state, "alice", "carol")).toBe(true);
    expect(isBlocked(state, "dave", "bob")).toBe(true);
    expect(isBlocked(state, "alice", "bob")).toBe(false);
    expect(isBlocked(state, "carol", "dave")).toBe(false);
  });

  it("a second partition replaces the first", () => {
    const state = replay(
      { kind: "partition", groups: [["alice"], ["bob", "carol", "dave"]] },
      {
        kind: "partition",
        groups: [
          ["alice", "bob"],
          ["carol", "dave"],
        ],
      },
    );
    expect(isBlocked(state, "alice", "bob")).toBe(false);
    expect(isBlocked(state, "bob", "carol")).toBe(true);
  });

  it("a one-way cut blocks one direction only; link restores it; a two-way cut is listed once", () => {
    const oneWay = replay({ kind: "cut", from: "alice", to: "bob", oneWay: true });
    expect(isBlocked(oneWay, "alice", "bob")).toBe(true);
    expect(isBlocked(oneWay, "bob", "alice")).toBe(false);
    expect(describeNetworkState(oneWay)).toEqual(["cut alice → bob (one way)"]);
    const twoWay = afterNetworkFault(oneWay, { kind: "cut", from: "bob", to: "alice", oneWay: false });
    expect(twoWay.cuts).toHaveLength(2);
    expect(describeNetworkState(twoWay)).toEqual(["cut alice ↔ bob"]);
    const restoredOneWay = afterNetworkFault(twoWay, { kind: "link", from: "bob", to: "alice", oneWay: true });
    expect(isBlocked(restoredOneWay, "bob", "alice")).toBe(false);
    expect(isBlocked(restoredOneWay, "alice", "bob")).toBe(true);
    expect(isQuiet(afterNetworkFault(twoWay, { kind: "link", from: "alice", to: "bob", oneWay: false }))).toBe(true);
  });

  it("link does not undo a partition, heal undoes everything", () => {
    const state = replay(
      {
        kind: "partition",
        groups: [
          ["alice", "bob"],
          ["carol", "dave"],
        ],
      },
      { kind: "link", from: "bob", to: "carol", oneWay: false },
    );
    expect(isBlocked(state, "bob", "carol")).toBe(true);
    const all = replay(
      { kind: "partition", groups: [["alice"], ["bob", "carol", "dave"]] },
      { kind: "cut", from: "carol", to: "dave", oneWay: false },
      { kind: "loss", peer: "bob", percent: 10 },
      { kind: "delay", peer: "bob", ms: 200, jitterMs: 50, mechanism: "peer" },
      { kind: "rate", peer: "dave", kbit: 256 },
      { kind: "heal" },
    );
    expect(isQuiet(all)).toBe(true);
  });

  it("loss, delay and rate replace the same peer's (and target's) setting; zero removes it", () => {
    const state = replay(
      { kind: "loss", peer: "bob", percent: 10 },
      { kind: "loss", peer: "bob", percent: 20, to: "carol" },
      { kind: "loss", peer: "bob", percent: 30 },
      { kind: "delay", peer: "bob", ms: 200, jitterMs: 0, mechanism: "netem" },
      { kind: "rate", peer: "dave", kbit: 256 },
      { kind: "rate", peer: "dave", kbit: 1000 },
    );
    expect(describeNetworkState(state)).toEqual([
      "loss 20% on bob to carol",
      "loss 30% on bob",
      "delay 200ms on bob (netem)",
      "rate 1 Mbit/s on dave",
    ]);
    const removed = [
      { kind: "loss", peer: "bob", percent: 0 },
      { kind: "loss", peer: "bob", percent: 0, to: "carol" },
      { kind: "delay", peer: "bob", ms: 0, jitterMs: 0, mechanism: "netem" },
      { kind: "rate", peer: "dave", kbit: 0 },
    ] as const;
    expect(isQuiet(removed.reduce(afterNetworkFault, state))).toBe(true);
  });

  it("says what was done and which mechanism delays", () => {
    expect(describeNetworkFault({ kind: "partition", groups: [["alice"], ["bob", "carol"]], seed: 7 })).toBe(
      "partitioned the network (random, seed 7): {alice} / {bob, carol}",
    );
    expect(
      describeNetworkFault({ kind: "delay", peer: "bob", ms: 300, jitterMs: 50, to: "carol", mechanism: "peer" }),
    ).toBe("bob's packets to carol are held 300ms ± 50ms (inside the peer: this kernel has no netem)");
    expect(describeNetworkFault({ kind: "cut", from: "a", to: "b", oneWay: true })).toBe("cut a → b (one way)");
  });

  it("the journal's schema refuses a fault it does not know whole", () => {
    expect(networkFaultSchema.safeParse({ kind: "cut", from: "a", to: "b", oneWay: true }).success).toBe(true);
    expect(networkFaultSchema.safeParse({ kind: "cut", from: "a", to: "b" }).success).toBe(false);
    expect(networkFaultSchema.safeParse({ kind: "flood", peer: "a" }).success).toBe(false);
    expect(networkFaultSchema.safeParse({ kind: "partition", groups: [["a"]] }).success).toBe(false);
  });
});

describe("lab partition's groups", () => {
  const partition = (text: string) => completeGroups(parseGroups(text), PEERS);

  it("splits on / and on commas or spaces, and puts the peers not named in one more group", () => {
    expect(partition("alice,bob / carol")).toEqual([["alice", "bob"], ["carol"], ["dave"]]);
    expect(partition("alice, bob/carol dave")).toEqual([
      ["alice", "bob"],
      ["carol", "dave"],
    ]);
    expect(partition("alice")).toEqual([["alice"], ["bob", "carol", "dave"]]);
  });

  it("refuses an unknown peer, a peer in two groups, an empty group and a single group", () => {
    const problem = (text: string) => {
      try {
        partition(text);
      } catch (error) {
        return (error as PartitionProblem).message;
      }
      return undefined;
    };
    expect(problem("alice / eve")).toBe('there is no peer "eve" in this lab');
    expect(problem("alice / alice,bob")).toBe("alice is named twice: a peer is in one group");
    expect(problem("alice / / bob")).toMatch(/a group is empty/);
    expect(problem("alice,bob,carol,dave")).toMatch(/at least two/);
  });

  it("a random partition is the same for the same seed, covers every peer once, and differs across seeds", () => {
    const peers = Array.from({ length: 12 }, (_, i) => `p${i + 1}`);
    const a = randomPartition(peers, 42, 3);
    expect(randomPartition(peers, 42, 3)).toEqual(a);
    expect(a).toHaveLength(3);
    expect(a.flat().sort()).toEqual([...peers].sort());
    expect(a.every((group) => group.length === 4)).toBe(true);
    const seeds = new Set([1, 2, 3, 4, 5].map((seed) => JSON.stringify(randomPartition(peers, seed))));
    expect(seeds.size).toBeGreaterThan(1);
  });
});

describe("rates and percentages", () => {
  it.each([
    ["256kbit", 256],
    ["1mbit", 1000],
    ["1.5mbit", 1500],
    ["2Gbit", 2_000_000],
    ["0", 0],
  ])("%s is %d kbit/s", (text, kbit) => expect(parseRate(text)).toBe(kbit));

  it.each(["256", "256kbps", "fast", "4bit", "-1mbit", "20gbit", "100.5kbit"])("%s is refused", (text) =>
    expect(parseRate(text)).toBeUndefined(),
  );

  it("reads 10, 10% and 0.5%; refuses more than 100 and words", () => {
    expect([parsePercent("10"), parsePercent("10%"), parsePercent("0.5%")]).toEqual([10, 10, 0.5]);
    expect([parsePercent("101"), parsePercent("ten"), parsePercent("-5")]).toEqual([undefined, undefined, undefined]);
  });
});
