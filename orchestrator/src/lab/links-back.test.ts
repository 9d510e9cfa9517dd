import { describe, expect, it } from "vitest";
import { NO_NETWORK_FAULTS } from "../faults/network-faults.js";
import type { PeerEvent } from "../../../peer/src/events.js";
import type { PeerState } from "../check/overlay.js";
import type { LabSnapshot } from "./lab.js";
import { expectedLinks, linksAreBack, linksBackAfter } from "./links-back.js";

/** The chain: bob dials alice, carol dials bob, dave dials carol. */
const CHAIN: Array<[string, string]> = [
  ["bob", "alice"],
  ["carol", "bob"],
  ["dave", "carol"],
];
const at = (ms: number): string => new Date(Date.UTC(2026, 10, 25, 12, 0, 0, ms)).toISOString();
const up = (ms: number, peer: string, neighbor: string): PeerEvent => ({
  ts: at(ms),
  peer,
  ev: "link-up",
  neighbor,
  addr: "x",
  dir: "out",
});
const down = (ms: number, peer: string, neighbor: string): PeerEvent => ({
  ts: at(ms),
  peer,
  ev: "link-down",
  neighbor,
  reason: "eof",
});
const listening = (ms: number, peer: string): PeerEvent => ({ ts: at(ms), peer, ev: "listening", port: 7000 });

function states(spec: Record<string, PeerState["status"]>): PeerState[] {
  return Object.entries(spec).map(([name, status]) => ({ name, status }));
}

function snapshot(
  status: Record<string, PeerState["status"]>,
  neighbors: Record<string, string[]>,
  links: Array<[string, string]> = [],
): LabSnapshot {
  return {
    lab: "t",
    description: "",
    peers: states(status).map((state) => ({
      ...state,
      neighbors: neighbors[state.name] ?? [],
      linkSource: "events" as const,
    })),
    network: NO_NETWORK_FAULTS,
    overlay: { links, cut: [], partitions: [] },
    journal: "running",
  };
}

const allRunning = { alice: "running", bob: "running", carol: "running", dave: "running" } as const;

describe("expectedLinks", () => {
  it("a restarted peer dials its own targets again; a link its neighbour dialled is not dialled again", () => {
    const expected = expectedLinks(CHAIN, "bob", "restart", states(allRunning), snapshot(allRunning, {}));
    expect(expected.awaited).toEqual([["bob", "alice"]]);
    expect([...expected.notExpected.values()]).toEqual([
      "carol dialled it, and a link that went down is not dialled again (peer/PROTOCOL.md §6)",
    ]);
  });

  it("a link whose other end is not running is not waited for, and says why", () => {
    const expected = expectedLinks(
      CHAIN,
      "bob",
      "start",
      states({ ...allRunning, alice: "killed" }),
      snapshot(allRunning, {}),
    );
    expect(expected.awaited).toEqual([]);
    expect([...expected.notExpected.values()]).toEqual([
      "alice is killed",
      "carol dialled it, and a link that went down is not dialled again (peer/PROTOCOL.md §6)",
    ]);
  });

  it("a resumed peer keeps the links its neighbours kept while it was frozen", () => {
    const before = snapshot({ ...allRunning, bob: "paused" }, { alice: ["bob"], carol: ["dave"], dave: ["carol"] });
    const expected = expectedLinks(CHAIN, "bob", "resume", states(allRunning), before);
    expect(expected.awaited).toEqual([["bob", "alice"]]);
    expect([...expected.notExpected.values()]).toEqual([
      "carol dropped it while bob was paused, and a link that went down is not dialled again (peer/PROTOCOL.md §6)",
    ]);
  });
});

describe("linksAreBack", () => {
  const old = [listening(0, "bob"), up(10, "bob", "alice"), up(10, "alice", "bob")];

  it("after a restart, only what was printed since counts, and the peer must listen again", () => {
    expect(linksAreBack(old, "bob", [["bob", "alice"]], at(100))).toBe(false);
    const restarted = [...old, down(110, "alice", "bob"), listening(900, "bob"), up(950, "bob", "alice")];
    expect(linksAreBack(restarted, "bob", [["bob", "alice"]], at(100))).toBe(false);
    expect(linksAreBack([...restarted, up(951, "alice", "bob")], "bob", [["bob", "alice"]], at(100))).toBe(true);
  });

  it("after a resume, the links as both ends report them now", () => {
    expect(linksAreBack(old, "bob", [["bob", "alice"]])).toBe(true);
    expect(linksAreBack([...old, down(500, "alice", "bob")], "bob", [["bob", "alice"]])).toBe(false);
  });
});

describe("linksBackAfter", () => {
  it("each configured link of the peer: back when the overlay has it, otherwise why not", () => {
    const expected = expectedLinks(CHAIN, "bob", "restart", states(allRunning), snapshot(allRunning, {}));
    const after = snapshot(allRunning, {}, [
      ["alice", "bob"],
      ["carol", "dave"],
    ]);
    expect(linksBackAfter(CHAIN, "bob", expected, after, 15_000)).toEqual([
      { link: ["bob", "alice"], back: true },
      {
        link: ["carol", "bob"],
        back: false,
        why: "carol dialled it, and a link that went down is not dialled again (peer/PROTOCOL.md §6)",
      },
    ]);
    const nothingBack = snapshot(allRunning, {}, [["carol", "dave"]]);
    expect(linksBackAfter(CHAIN, "bob", expected, nothingBack, 15_000)[0]).toEqual({
      link: ["bob", "alice"],
      back: false,
      why: "not reported up by both ends within 15s",
    });
    const died = snapshot({ ...allRunning, bob: "exited" }, {}, []);
    died.peers[1]!.exitCode = 1;
    expect(linksBackAfter(CHAIN, "bob", expected, died, 15_000)[0]).toMatchObject({
      back: false,
      why: "bob is exited (1)",
    });
  });
});
