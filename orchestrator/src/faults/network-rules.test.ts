import { describe, expect, it } from "vitest";
import { NO_NETWORK_FAULTS, afterNetworkFault, type NetworkFault } from "./network-faults.js";
import { isEmpty, rulesFor, sameRules } from "./network-rules.js";

const ADDRESSES = new Map([
  ["alice", "10.0.0.2"],
  ["bob", "10.0.0.3"],
  ["carol", "10.0.0.4"],
  ["dave", "10.0.0.5"],
]);
const replay = (...faults: NetworkFault[]) => faults.reduce(afterNetworkFault, NO_NETWORK_FAULTS);
const rules = (peer: string, ...faults: NetworkFault[]) => rulesFor("chain", peer, replay(...faults), ADDRESSES);

describe("a peer's rules for the faults in force", () => {
  it("none at all: an empty set, which removes whatever lab put there", () => {
    const none = rules("alice");
    expect(none).toEqual({ lab: "chain", dropFrom: [], lossFrom: [], delay: [] });
    expect(isEmpty(none)).toBe(true);
  });

  it("a partition: each peer drops, on arrival, what every peer of the other groups sends it", () => {
    const partition: NetworkFault = {
      kind: "partition",
      groups: [
        ["alice", "bob"],
        ["carol", "dave"],
      ],
    };
    expect(rules("bob", partition)).toMatchObject({ dropFrom: ["10.0.0.4", "10.0.0.5"] });
    expect(rules("carol", partition)).toMatchObject({ dropFrom: ["10.0.0.2", "10.0.0.3"] });
  });

  it("a one-way cut: only the receiver drops, and only what the sender sends", () => {
    const cut: NetworkFault = { kind: "cut", from: "alice", to: "bob", oneWay: true };
    expect(isEmpty(rules("alice", cut))).toBe(true);
    expect(rules("bob", cut)).toMatchObject({ dropFrom: ["10.0.0.2"] });
    expect(isEmpty(rules("carol", cut))).toBe(true);
  });

  it("a peer's loss is done where its packets arrive, its loss to one peer replacing there its loss to all", () => {
    const faults: NetworkFault[] = [
      { kind: "loss", peer: "bob", percent: 10 },
      { kind: "loss", peer: "bob", percent: 30, to: "carol" },
    ];
    expect(rules("alice", ...faults).lossFrom).toEqual([{ percent: 10, from: "10.0.0.3" }]);
    expect(rules("carol", ...faults).lossFrom).toEqual([{ percent: 30, from: "10.0.0.3" }]);
    expect(rules("bob", ...faults).lossFrom).toEqual([]);
  });

  it("netem delay and rate belong to the peer they name, on its way out; a delay done in the peer is no rule", () => {
    const faults: NetworkFault[] = [
      { kind: "delay", peer: "bob", ms: 200, jitterMs: 20, to: "alice", mechanism: "netem" },
      { kind: "delay", peer: "carol", ms: 200, jitterMs: 0, mechanism: "peer" },
      { kind: "rate", peer: "bob", kbit: 256 },
    ];
    expect(rules("bob", ...faults)).toEqual({
      lab: "chain",
      dropFrom: [],
      lossFrom: [],
      delay: [{ ms: 200, jitterMs: 20, to: "10.0.0.2" }],
      rateKbit: 256,
    });
    expect(isEmpty(rules("carol", ...faults))).toBe(true);
    expect(isEmpty(rules("alice", ...faults))).toBe(true);
  });

  it("a peer without an address (not running) is in nobody's rules", () => {
    const without = new Map([...ADDRESSES].filter(([name]) => name !== "carol"));
    const state = replay(
      {
        kind: "partition",
        groups: [
          ["alice", "bob"],
          ["carol", "dave"],
        ],
      },
      { kind: "loss", peer: "carol", percent: 5 },
    );
    expect(rulesFor("chain", "bob", state, without)).toMatchObject({ dropFrom: ["10.0.0.5"], lossFrom: [] });
  });

  it("the same faults give the same rules; another fault does not", () => {
    const cut: NetworkFault = { kind: "cut", from: "alice", to: "bob", oneWay: false };
    expect(sameRules(rules("alice", cut), rules("alice", cut))).toBe(true);
    expect(sameRules(rules("alice", cut), rules("alice"))).toBe(false);
    expect(sameRules(rules("carol", cut), rules("carol"))).toBe(true);
  });
});
