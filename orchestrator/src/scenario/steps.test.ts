import { afterEach, describe, expect, it, vi } from "vitest";
import { topologyFrom } from "../../../test/support/memory-lab.js";
import { NO_NETWORK_FAULTS } from "../faults/network-faults.js";
import type { Lab } from "../lab/lab.js";
import type { TypingLab } from "../lab/send.js";
import { overlaySnapshot, runStep } from "./steps.js";
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
      { lab: labOfADeafPeer(), sent: new Map(), signal: new AbortController().signal },
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
