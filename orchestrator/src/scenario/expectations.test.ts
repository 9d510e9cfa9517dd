import { describe, expect, it } from "vitest";
import { NO_NETWORK_FAULTS } from "../faults/network-faults.js";
import type { PeerEvent } from "../../../peer/src/events.js";
import type { LabSnapshot } from "../lab/lab.js";
import { explain, judge, type Observation, type SentMessages } from "./expectations.js";

const ts = (ms: number): string => new Date(Date.UTC(2026, 10, 25, 12, 0, 0, ms)).toISOString();

function observation(
  partitions: string[][],
  neighbors: Record<string, string[]>,
  timeline: PeerEvent[],
  killed: string[] = [],
): Observation {
  const peers = ["alice", "bob", "carol", "dave"];
  const snapshot: LabSnapshot = {
    lab: "t",
    description: "",
    peers: peers.map((name) => ({
      name,
      status: killed.includes(name) ? "killed" : "running",
      ...(killed.includes(name) ? { exitCode: 137 } : {}),
      neighbors: neighbors[name] ?? [],
      linkSource: "events",
    })),
    network: NO_NETWORK_FAULTS,
    overlay: { links: [], cut: [], partitions },
    journal: "running",
  };
  return { snapshot, timeline };
}

const sent: SentMessages = new Map([
  ["hello", { id: "alice:1", from: "alice", text: "hello" }],
  ["greeting", { id: "alice:1", from: "alice", text: "hello" }],
]);
const sentEvent: PeerEvent = {
  ts: ts(0),
  peer: "alice",
  ev: "sent",
  id: "alice:1",
  origin: "alice",
  text: "hello",
  to: ["bob"],
};
const recv = (peer: string, from: string, hops: number, ms: number): PeerEvent => ({
  ts: ts(ms),
  peer,
  ev: "recv",
  id: "alice:1",
  origin: "alice",
  from,
  hops,
  text: "hello",
});

describe("judge", () => {
  it("holds once everyone in `to` showed the message, found by text or by `as` name", () => {
    const seen = observation([["alice", "bob", "carol"]], {}, [
      sentEvent,
      recv("bob", "alice", 1, 5),
      recv("carol", "bob", 2, 9),
    ]);
    expect(judge({ delivered: "hello", to: ["bob", "carol"] }, seen, sent, false)).toMatchObject({
      ok: true,
      settled: true,
    });
    expect(judge({ delivered: "greeting", to: ["bob", "carol"] }, seen, sent, false)).toMatchObject({
      ok: true,
      settled: true,
    });
  });

  it("keeps waiting while a receiver is missing, and explains the failure when the window ends", () => {
    const seen = observation([["alice", "bob", "carol", "dave"]], {}, [sentEvent, recv("bob", "alice", 1, 5)]);
    expect(judge({ delivered: "hello", to: ["bob", "dave"] }, seen, sent, false)).toMatchObject({
      ok: false,
      settled: false,
    });
    const final = judge({ delivered: "hello", to: ["bob", "dave"] }, seen, sent, true);
    expect(final).toMatchObject({ ok: false, settled: true, seen: "shown by bob (not by dave)" });
    expect(explain(final, 3000)).toBe(
      [
        'expected: "hello" from alice shown by bob, dave and no one else',
        "seen after 3s: shown by bob (not by dave)",
        "transcript:",
        "    12:00:00.000  alice → bob: hello",
        "    12:00:00.005  bob ← alice: hello (from alice, 1 hop)",
      ].join("\n"),
    );
  });

  it("`to: []` means nobody, judged at the end of the window; a receiver fails it at once", () => {
    const quiet = observation([["alice"]], {}, [sentEvent]);
    expect(judge({ delivered: "hello", to: [] }, quiet, sent, false)).toMatchObject({ ok: true, settled: false });
    expect(judge({ delivered: "hello", to: [] }, quiet, sent, true)).toMatchObject({ ok: true, settled: true });
    const heard = observation([["alice", "bob"]], {}, [sentEvent, recv("bob", "alice", 1, 5)]);
    expect(judge({ delivered: "hello", to: [] }, heard, sent, false)).toMatchObject({ ok: false, settled: true });
  });

  it("notTo fails when the peer showed it", () => {
    const seen = observation([["alice", "bob"]], {}, [sentEvent, recv("bob", "alice", 1, 5)]);
    expect(judge({ delivered: "hello", notTo: ["bob"] }, seen, sent, true)).toMatchObject({
      ok: false,
      seen: "shown by bob",
    });
  });

  it("a message never sent is a settled failure that says so", () => {
    expect(judge({ delivered: "nope" }, observation([], {}, []), sent, false)).toMatchObject({
      ok: false,
      settled: true,
      seen: 'no message "nope" was sent before this step',
    });
  });

  it("partitions compare as sets of sets", () => {
    const split = observation([["dave", "carol"], ["alice"]], {}, [], ["bob"]);
    expect(judge({ partitions: [["alice"], ["carol", "dave"]] }, split, sent, false).ok).toBe(true);
    expect(judge({ partitions: [["alice", "carol", "dave"]] }, split, sent, false)).toMatchObject({
      ok: false,
      expected: "partitions {alice, carol, dave}",
      seen: "partitions {dave, carol} {alice}",
    });
  });

  it("links are as the running peers report them", () => {
    const reported = observation(
      [["alice"], ["carol", "dave"]],
      { alice: ["bob"], carol: ["dave"], dave: ["carol"] },
      [],
    );
    expect(judge({ links: { up: [["dave", "carol"]] } }, reported, sent, false).ok).toBe(true);
    expect(judge({ links: { down: [["alice", "bob"]] } }, reported, sent, false)).toMatchObject({
      ok: false,
      seen: "still up: alice ── bob",
    });
  });

  it("links down with a reason: the latest link-down either end reported must give it", () => {
    const down = (peer: string, neighbor: string, reason: string, ms: number): PeerEvent => ({
      ts: ts(ms),
      peer,
      ev: "link-down",
      neighbor,
      reason,
    });
    const timedOut = observation([["alice"], ["carol", "dave"]], { carol: ["dave"], dave: ["carol"] }, [
      down("bob", "alice", "eof", 10),
      down("alice", "bob", "timeout", 20),
    ]);
    expect(judge({ links: { down: [["alice", "bob"]], reason: "timeout" } }, timedOut, sent, false).ok).toBe(true);
    expect(judge({ links: { down: [["alice", "bob"]], reason: "eof" } }, timedOut, sent, false)).toMatchObject({
      ok: false,
      expected: "links down: alice ── bob (reason eof)",
      seen: "alice ── bob down with reason timeout",
    });
    expect(judge({ links: { down: [["carol", "bob"]], reason: "eof" } }, timedOut, sent, false)).toMatchObject({
      ok: false,
      seen: "bob ── carol down with reason (none reported)",
    });
  });

  it("states: exited covers killed; stopped means a clean exit", () => {
    const dead = observation([["alice"]], {}, [], ["bob"]);
    expect(judge({ state: { bob: "exited" } }, dead, sent, false).ok).toBe(true);
    expect(judge({ state: { bob: "killed" } }, dead, sent, false).ok).toBe(true);
    expect(judge({ state: { bob: "stopped" } }, dead, sent, false)).toMatchObject({ ok: false, seen: "bob killed" });
  });
});
