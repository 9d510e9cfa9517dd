import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import { NO_NETWORK_FAULTS, afterNetworkFault, type NetworkFault, pairText } from "../faults/network-faults.js";
import type { LinkRecord } from "../transcript/link-records.js";
import {
  changesLinks,
  latestLinkRecords,
  liveOverlay,
  partitionsText,
  peerStatus,
  reachableFrom,
  reportedNeighbors,
  type PeerState,
} from "./overlay.js";

let clock = 0;
const ts = (): string => new Date(Date.UTC(2026, 10, 25, 12, 0, 0, clock++)).toISOString();
const up = (peer: string, neighbor: string): PeerEvent => ({
  ts: ts(),
  peer,
  ev: "link-up",
  neighbor,
  addr: "x",
  dir: "out",
});
const down = (peer: string, neighbor: string, reason = "eof"): PeerEvent => ({
  ts: ts(),
  peer,
  ev: "link-down",
  neighbor,
  reason,
});
const listening = (peer: string): PeerEvent => ({ ts: ts(), peer, ev: "listening", port: 7000 });
/** What lab observed of a peer's links from outside. */
const seen = (target: string, neighbors: string[]): LinkRecord => ({
  ts: ts(),
  peer: "lab",
  ev: "links",
  target,
  neighbors,
  up: neighbors,
  down: [],
  source: "tcp-table",
});
const states = (spec: Record<string, PeerState["status"]>): PeerState[] =>
  Object.entries(spec).map(([name, status]) => ({ name, status }));

const chainUp = [
  up("bob", "alice"),
  up("alice", "bob"),
  up("carol", "bob"),
  up("bob", "carol"),
  up("dave", "carol"),
  up("carol", "dave"),
];

describe("reportedNeighbors", () => {
  it("replays link-up and link-down per peer", () => {
    const reported = reportedNeighbors([...chainUp, down("alice", "bob"), down("carol", "bob")]);
    expect(reported.get("alice")).toEqual(new Set());
    expect(reported.get("bob")).toEqual(new Set(["alice", "carol"]));
    expect(reported.get("carol")).toEqual(new Set(["dave"]));
  });

  it("counts two links to the same neighbour separately", () => {
    const reported = reportedNeighbors([up("a", "b"), up("a", "b"), down("a", "b")]);
    expect(reported.get("a")).toEqual(new Set(["b"]));
  });

  it("forgets a peer's links when it starts listening again (a restart)", () => {
    const reported = reportedNeighbors([up("a", "b"), listening("a"), up("a", "c")]);
    expect(reported.get("a")).toEqual(new Set(["c"]));
  });

  it("takes an observed peer's links from its latest observation, whatever it printed", () => {
    const reported = reportedNeighbors([up("b", "a"), seen("b", ["a", "c"]), down("b", "a"), seen("b", ["c"])]);
    expect(reported.get("b")).toEqual(new Set(["c"]));
    expect(reported.get("a")).toBeUndefined();
  });

  it("forgets an observed peer's links when it starts listening again, until the next observation", () => {
    const events = [seen("b", ["a", "c"]), listening("b")];
    expect(reportedNeighbors(events).get("b")).toEqual(new Set());
    expect(reportedNeighbors([...events, seen("b", ["a"])]).get("b")).toEqual(new Set(["a"]));
  });
});

describe("changesLinks", () => {
  it("keeps the events that change a peer's neighbours and drops the messages, the same neighbours from either", () => {
    const recv = (peer: string, from: string): PeerEvent => ({
      ts: ts(),
      peer,
      ev: "recv",
      id: `m${clock}`,
      origin: "alice",
      from,
      hops: 1,
      text: "hi",
    });
    const sent: PeerEvent = { ts: ts(), peer: "alice", ev: "sent", id: "m", origin: "alice", text: "hi", to: ["bob"] };
    const all = [...chainUp, sent, recv("bob", "alice"), listening("carol"), recv("carol", "bob"), up("carol", "dave")];
    const kept = all.filter(changesLinks);
    expect(kept.map((event) => event.ev)).toEqual([...chainUp.map(() => "link-up"), "listening", "link-up"]);
    expect(reportedNeighbors(kept)).toEqual(reportedNeighbors(all));
  });
});

describe("latestLinkRecords", () => {
  it("keeps each observed peer's latest record", () => {
    const [first, other, last] = [seen("b", ["a"]), seen("c", []), seen("b", [])];
    expect(latestLinkRecords([up("a", "b"), first!, other!, last!])).toEqual(
      new Map([
        ["b", last],
        ["c", other],
      ]),
    );
  });
});

describe("liveOverlay", () => {
  it("a wired chain is one partition", () => {
    const overlay = liveOverlay(
      states({ alice: "running", bob: "running", carol: "running", dave: "running" }),
      reportedNeighbors(chainUp),
      NO_NETWORK_FAULTS,
    );
    expect(overlay).toEqual({
      links: [
        ["alice", "bob"],
        ["bob", "carol"],
        ["carol", "dave"],
      ],
      cut: [],
      partitions: [["alice", "bob", "carol", "dave"]],
    });
  });

  it("killing the bridge splits the chain even before the neighbours notice", () => {
    const overlay = liveOverlay(
      states({ alice: "running", bob: "killed", carol: "running", dave: "running" }),
      reportedNeighbors(chainUp),
      NO_NETWORK_FAULTS,
    );
    expect(overlay).toEqual({ links: [["carol", "dave"]], cut: [], partitions: [["alice"], ["carol", "dave"]] });
  });

  it("a paused peer belongs to no partition", () => {
    const overlay = liveOverlay(
      states({ alice: "running", bob: "paused", carol: "running", dave: "running" }),
      reportedNeighbors(chainUp),
      NO_NETWORK_FAULTS,
    );
    expect(overlay.partitions).toEqual([["alice"], ["carol", "dave"]]);
  });

  it("a link one side still reports counts; a link neither reports does not", () => {
    const overlay = liveOverlay(
      states({ a: "running", b: "running", c: "running" }),
      reportedNeighbors([up("a", "b"), up("b", "c"), down("b", "c")]),
      NO_NETWORK_FAULTS,
    );
    expect(overlay).toEqual({ links: [["a", "b"]], cut: [], partitions: [["a", "b"], ["c"]] });
  });

  it("orders partitions and members by the topology's peer order", () => {
    const overlay = liveOverlay(
      states({ zed: "running", amy: "running", kim: "running" }),
      reportedNeighbors([up("kim", "zed")]),
      NO_NETWORK_FAULTS,
    );
    expect(overlay.partitions).toEqual([["zed", "kim"], ["amy"]]);
  });
});

describe("liveOverlay under network faults", () => {
  const running = states({ alice: "running", bob: "running", carol: "running", dave: "running" });
  const network = (...faults: NetworkFault[]) => faults.reduce(afterNetworkFault, NO_NETWORK_FAULTS);

  it("a network partition splits the chain at once, while its ends still report the bridge link up", () => {
    const overlay = liveOverlay(
      running,
      reportedNeighbors(chainUp),
      network({
        kind: "partition",
        groups: [
          ["alice", "bob"],
          ["carol", "dave"],
        ],
      }),
    );
    expect(overlay).toEqual({
      links: [
        ["alice", "bob"],
        ["carol", "dave"],
      ],
      cut: [{ from: "bob", to: "carol", oneWay: false }],
      partitions: [
        ["alice", "bob"],
        ["carol", "dave"],
      ],
    });
  });

  it("a one-way cut is listed in the direction dropped, whichever end is first in peer order", () => {
    const overlay = liveOverlay(
      running,
      reportedNeighbors(chainUp),
      network({ kind: "cut", from: "carol", to: "bob", oneWay: true }),
    );
    expect(overlay.cut).toEqual([{ from: "carol", to: "bob", oneWay: true }]);
    expect(overlay.links).toEqual([
      ["alice", "bob"],
      ["carol", "dave"],
    ]);
    expect(overlay.partitions).toEqual([
      ["alice", "bob"],
      ["carol", "dave"],
    ]);
  });

  it("a blocked pair the peers do not report linked is no cut link", () => {
    const overlay = liveOverlay(
      running,
      reportedNeighbors(chainUp),
      network({ kind: "cut", from: "alice", to: "dave", oneWay: false }),
    );
    expect(overlay.cut).toEqual([]);
    expect(overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
  });

  it("a link to a dead peer is gone, not cut", () => {
    const overlay = liveOverlay(
      states({ alice: "running", bob: "killed", carol: "running", dave: "running" }),
      reportedNeighbors(chainUp),
      network({ kind: "cut", from: "alice", to: "bob", oneWay: false }),
    );
    expect(overlay.cut).toEqual([]);
  });
});

describe("reachableFrom", () => {
  const running = states({ alice: "running", bob: "running", carol: "running", dave: "running" });
  const reported = reportedNeighbors(chainUp);

  it("follows links both ways and a one-way cut's open direction only", () => {
    const overlay = liveOverlay(
      running,
      reported,
      afterNetworkFault(NO_NETWORK_FAULTS, { kind: "cut", from: "bob", to: "carol", oneWay: true }),
    );
    expect(reachableFrom(overlay, "alice")).toEqual(new Set(["bob"]));
    expect(reachableFrom(overlay, "dave")).toEqual(new Set(["carol", "bob", "alice"]));
  });

  it("a peer outside the overlay reaches nobody", () => {
    expect(reachableFrom(liveOverlay(running, reported, NO_NETWORK_FAULTS), "zed")).toEqual(new Set());
  });
});

describe("pairText", () => {
  it("words a cut link with its direction", () => {
    expect(pairText({ from: "alice", to: "bob", oneWay: false })).toBe("alice ↔ bob");
    expect(pairText({ from: "bob", to: "alice", oneWay: true })).toBe("bob → alice (one way)");
  });
});

describe("peerStatus", () => {
  const info = (state: "running" | "exited" | "paused", exitCode = 0) => ({
    id: "x",
    name: "x",
    labels: {},
    state,
    exitCode,
    createdAt: "",
    startedAt: "",
    finishedAt: "",
  });
  it("names SIGKILL exits killed", () => {
    expect(peerStatus(info("exited", 137))).toEqual({ status: "killed", exitCode: 137 });
    expect(peerStatus(info("exited", 0))).toEqual({ status: "exited", exitCode: 0 });
    expect(peerStatus(info("paused"))).toEqual({ status: "paused" });
    expect(peerStatus(undefined)).toEqual({ status: "removed" });
  });
});

describe("partitionsText", () => {
  it("words the groups of reachable peers, and a lab with none alive", () => {
    expect(partitionsText([["alice"], ["carol", "dave"]])).toBe("{alice} {carol, dave}");
    expect(partitionsText([])).toBe("(no live peers)");
  });
});
