import { afterEach, describe, expect, it, vi } from "vitest";
import { topologyFrom } from "../../../test/support/memory-lab.js";
import { NO_NETWORK_FAULTS } from "../faults/network-faults.js";
import type { Lab } from "../lab/lab.js";
import type { TypingLab } from "../lab/send.js";
import { describeStep, networkRequest, overlaySnapshot, runStep } from "./steps.js";
import { runningContainer } from "../../../test/support/containers.js";

/** A lab whose one peer, alice, runs but takes nothing from stdin: no sent event ever comes. */
function labOfADeafPeer(): Lab {
  const alice = runningContainer("alice");
  const lab: TypingLab = {
    topology: topologyFrom("name: test\npeers:\n  alice: {}\n"),
    peer: async () => alice,
    record: async () => {},
    runtime: { writeLine: async () => {}, logs: async function* () {} },
  };
  return lab as Lab;
}

describe("the send step", () => {
  afterEach(() => void vi.useRealTimers());

  it("fails, saying what was not seen, when the peer never reports sending: the run goes on", async () => {
    vi.useFakeTimers();
    const outcome = runStep(
      {
        lab: labOfADeafPeer(),
        sent: new Map(),
        sends: [],
        costFrom: 0,
        signal: new AbortController().signal,
        observe: () => {
          throw new Error("a send step looks at nothing");
        },
      },
      { send: { from: "alice", text: "hello" } },
    );
    await vi.advanceTimersByTimeAsync(5000);
    await expect(outcome).resolves.toEqual({
      ok: false,
      summary: 'alice did not report sending "hello"',
      detail:
        'the sent event of alice for "hello" not seen after 5s (alice was given /send REF TEXT on stdin; a peer takes it and prints a sent event with that REF, see peer/PROTOCOL.md)',
    });
  });
});

describe("network steps", () => {
  const PEERS = ["alice", "bob", "carol", "dave"];
  const step = (yaml: string) =>
    topologyFrom(
      `name: t\npeers: {alice: {}, bob: {connect: [alice]}, carol: {connect: [bob]}, dave: {connect: [carol]}}\nscenario:\n  - ${yaml}\n`,
    ).scenario[0]!;

  it.each([
    ["partition: [[alice, bob]]", { kind: "partition", groups: [["alice", "bob"]] }, "partition {alice, bob}"],
    ["heal:", { kind: "heal" }, "heal the network"],
    ["heal: true", { kind: "heal" }, "heal the network"],
    ["cut: [alice, bob]", { kind: "cut", from: "alice", to: "bob", oneWay: false }, "cut alice ↔ bob"],
    [
      "{ cut: [alice, bob], oneWay: true }",
      { kind: "cut", from: "alice", to: "bob", oneWay: true },
      "cut alice → bob (one way)",
    ],
    ["link: [bob, carol]", { kind: "link", from: "bob", to: "carol", oneWay: false }, "link bob ↔ carol"],
    [
      "loss: { peer: bob, percent: 20, to: carol }",
      { kind: "loss", peer: "bob", percent: 20, to: "carol" },
      "loss 20% on bob to carol",
    ],
    [
      "delay: { peer: bob, by: 300ms, jitter: 50ms }",
      { kind: "delay", peer: "bob", ms: 300, jitterMs: 50 },
      "delay bob by 300ms ± 50ms",
    ],
    ["rate: { peer: dave, limit: 1mbit }", { kind: "rate", peer: "dave", kbit: 1000 }, "rate 1mbit on dave"],
  ])("%s asks what lab %s would", (yaml, request, words) => {
    const loaded = step(yaml);
    expect(networkRequest(loaded as never, PEERS)).toEqual(request);
    expect(describeStep(loaded)).toBe(words);
  });

  it("partition: random draws the same groups for the same seed", () => {
    const first = networkRequest(step("{ partition: random, seed: 7, groups: 2 }") as never, PEERS);
    expect(first).toEqual(networkRequest(step("{ partition: random, seed: 7 }") as never, PEERS));
    expect(first).toMatchObject({ kind: "partition", seed: 7 });
    expect((first as { groups: string[][] }).groups.flat().sort()).toEqual([...PEERS].sort());
    expect(describeStep(step("{ partition: random, seed: 7 }"))).toBe("partition at random into 2 groups (seed 7)");
  });
});

describe("overlaySnapshot", () => {
  it("carries the links the network cuts and the faults in force, in words, for the report", () => {
    const snapshot = overlaySnapshot("after partition", {
      lab: "duo",
      peers: [
        { name: "alice", status: "running", neighbors: ["bob"], linkSource: "events" },
        { name: "bob", status: "running", neighbors: ["alice"], linkSource: "events" },
      ],
      network: { ...NO_NETWORK_FAULTS, partition: [["alice"], ["bob"]] },
      overlay: { links: [], cut: [{ from: "alice", to: "bob", oneWay: false }], partitions: [["alice"], ["bob"]] },
      journal: "running",
    });
    expect(snapshot).toMatchObject({
      label: "after partition",
      states: { alice: "running", bob: "running" },
      links: [],
      cut: [{ from: "alice", to: "bob", oneWay: false }],
      network: ["partition {alice} / {bob}"],
      partitions: [["alice"], ["bob"]],
    });
  });
});
