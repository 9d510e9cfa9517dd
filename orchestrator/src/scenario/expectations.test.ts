import { describe, expect, it } from "vitest";
import { NO_NETWORK_FAULTS } from "../faults/network-faults.js";
import type { PeerEvent } from "../../../peer/src/events.js";
import type { LabSnapshot } from "../lab/lab.js";
import { costScope, describeExpectation, explain, judge, type Observation, type SentMessages } from "./expectations.js";

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

describe("cost expectations", () => {
  const PEERS = ["alice", "bob", "carol", "dave"];
  const up = (peer: string, neighbor: string): PeerEvent => ({
    ts: ts(1),
    peer,
    ev: "link-up",
    neighbor,
    addr: `${neighbor}:7000`,
    dir: "out",
  });
  const copy = (ev: "recv" | "dup" | "hop-limit", id: string, peer: string, from: string, ms: number): PeerEvent =>
    ev === "recv"
      ? { ts: ts(ms), peer, ev, id, origin: id.split(":")[0]!, from, hops: 1, text: "x" }
      : { ts: ts(ms), peer, ev, id, origin: id.split(":")[0]!, from, hops: 2 };
  const sending = (id: string, ms: number): PeerEvent => ({
    ts: ts(ms),
    peer: id.split(":")[0]!,
    ev: "sent",
    id,
    origin: id.split(":")[0]!,
    text: id,
    to: [],
  });
  /** alice–bob–carol–dave and alice–carol; alice:1 costs 5 frames for 3 (one dup), alice:2 costs 3 for 3. */
  const timeline: PeerEvent[] = [
    ...PEERS.map((peer): PeerEvent => ({ ts: ts(0), peer, ev: "listening", port: 7000 })),
    up("bob", "alice"),
    up("carol", "bob"),
    up("dave", "carol"),
    up("carol", "alice"),
    sending("alice:1", 100),
    copy("recv", "alice:1", "bob", "alice", 101),
    copy("recv", "alice:1", "carol", "alice", 101),
    copy("dup", "alice:1", "carol", "bob", 102),
    copy("dup", "alice:1", "bob", "carol", 102),
    copy("recv", "alice:1", "dave", "carol", 103),
    sending("alice:2", 200),
    copy("recv", "alice:2", "bob", "alice", 201),
    copy("recv", "alice:2", "carol", "alice", 201),
    copy("recv", "alice:2", "dave", "carol", 202),
  ];
  const seen = observation([PEERS], {}, timeline);
  const one = { id: "alice:1", from: "alice", text: "alice:1" };
  const two = { id: "alice:2", from: "alice", text: "alice:2" };
  const named: SentMessages = new Map([
    ["alice:1", one],
    ["warm", one],
    ["alice:2", two],
    ["steady", two],
  ]);
  const all = costScope({ atMost: 2 }, [one, two], named, 0);

  it("judge every broadcast in scope against N − 1: an upper bound holds only at the end of the window", () => {
    expect(judge({ cost: { atMost: 5 / 3 } }, seen, named, false, all)).toMatchObject({ ok: true, settled: false });
    expect(judge({ cost: { atMost: 5 / 3 } }, seen, named, true, all)).toMatchObject({
      ok: true,
      settled: true,
      expected: "every broadcast since the start: payload frames ≤ 1.6666666666666667 × (N − 1)",
      seen: "2 broadcasts, 1.00× to 1.67× N − 1; 2 duplicates, 0 hop-limit drops",
    });
  });

  it("an upper bound broken fails at once, naming the broadcasts over it", () => {
    expect(judge({ cost: { atMost: 1.5 } }, seen, named, false, all)).toMatchObject({
      ok: false,
      settled: true,
      seen: "2 broadcasts, 1.00× to 1.67× N − 1; 2 duplicates, 0 hop-limit drops; above 1.5×: alice:1 5 frames for 3",
    });
    expect(judge({ cost: { duplicates: "none" } }, seen, named, false, all)).toMatchObject({
      ok: false,
      settled: true,
    });
  });

  it("lower bounds hold as soon as they are met; unmet, they fail at the end of the window", () => {
    expect(judge({ cost: { duplicates: "some" } }, seen, named, false, all)).toMatchObject({ ok: true, settled: true });
    expect(judge({ cost: { hopLimitDrops: "some" } }, seen, named, false, all)).toMatchObject({
      ok: false,
      settled: false,
    });
    expect(judge({ cost: { hopLimitDrops: "some" } }, seen, named, true, all)).toMatchObject({
      ok: false,
      settled: true,
      expected: "every broadcast since the start: some hop-limit drops",
    });
    expect(judge({ cost: { atLeast: 1.5 } }, seen, named, true, all)).toMatchObject({
      ok: false,
      seen: "2 broadcasts, 1.00× to 1.67× N − 1; 2 duplicates, 0 hop-limit drops; below 1.5×: alice:2 3 frames for 3",
    });
  });

  it("since: judges the broadcasts from the named send on; by default those after the previous cost expectation", () => {
    const steady = costScope({ atMost: 1, since: "steady" }, [one, two], named, 0);
    expect(steady).toEqual({ messages: [two], words: 'since "steady"' });
    expect(judge({ cost: { atMost: 1, duplicates: "none" } }, seen, named, true, steady)).toMatchObject({
      ok: true,
      expected: 'every broadcast since "steady": payload frames ≤ 1 × (N − 1), no duplicates',
    });
    expect(costScope({ atMost: 1 }, [one, two], named, 1)).toEqual({
      messages: [two],
      words: "since the previous cost expectation",
    });
    expect(costScope({ atMost: 1, since: "warm" }, [one, two], named, 2)).toEqual({
      messages: [one, two],
      words: 'since "warm"',
    });
  });

  it("no broadcast in scope, or a since that names no send, is a settled failure that says so", () => {
    expect(
      judge({ cost: { atMost: 1.5 } }, seen, named, false, costScope({ atMost: 1.5 }, [one, two], named, 2)),
    ).toMatchObject({
      ok: false,
      settled: true,
      seen: "no message was sent since the previous cost expectation",
    });
    const nope = costScope({ atMost: 1.5, since: "nope" }, [one, two], named, 0);
    expect(judge({ cost: { atMost: 1.5, since: "nope" } }, seen, named, false, nope)).toMatchObject({
      ok: false,
      settled: true,
      seen: 'no message "nope" was sent before this step',
    });
  });

  it("a broadcast not yet in the transcripts keeps it waiting, and fails it at the end of the window", () => {
    const later = { id: "alice:3", from: "alice", text: "later" };
    const scope = { messages: [two, later], words: "since the start" };
    expect(judge({ cost: { atMost: 2 } }, seen, named, false, scope)).toMatchObject({ ok: false, settled: false });
    expect(judge({ cost: { atMost: 2 } }, seen, named, true, scope)).toMatchObject({
      ok: false,
      settled: true,
      seen: "1 broadcast, 1.00× N − 1; 0 duplicates, 0 hop-limit drops; not in the transcripts yet: alice:3",
    });
  });

  it("describes itself in the step's words", () => {
    expect(describeExpectation({ cost: { atMost: 1.5, duplicates: "none", since: "steady" }, within: "2s" })).toBe(
      'expect cost: payload frames ≤ 1.5 × (N − 1), no duplicates since "steady" within 2s',
    );
  });
});
