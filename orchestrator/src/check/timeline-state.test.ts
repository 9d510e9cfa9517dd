import { describe, expect, it } from "vitest";
import { NO_NETWORK_FAULTS, type NetworkFault } from "../faults/network-faults.js";
import type { ContainerChange } from "../runtime/runtime.js";
import type { EngineRecord } from "../transcript/engine.js";
import type { Action } from "../transcript/journal.js";
import { mergeTimeline } from "../transcript/transcript.js";
import type { LinkRecord, ObservedLinkSource } from "../transcript/link-records.js";
import { changesOutsideLab, linkSourcesOf, networkStateAt, overlayAt, statesAt } from "./timeline-state.js";

const at = (ms: number): string => new Date(Date.UTC(2026, 10, 25, 12, 0, 0, ms)).toISOString();
const act = (ms: number, action: string, target?: string): Action => ({
  ts: at(ms),
  action,
  ...(target ? { target } : {}),
});
const engine = (ms: number, target: string, change: ContainerChange, exitCode?: number): EngineRecord => ({
  ts: at(ms),
  peer: "engine",
  ev: "container",
  target,
  change,
  ...(exitCode === undefined ? {} : { exitCode }),
  source: "events",
});

const observed = (ms: number, target: string, source: ObservedLinkSource, reason?: string): LinkRecord => ({
  ts: at(ms),
  peer: "lab",
  ev: "links",
  target,
  neighbors: [],
  up: [],
  down: [],
  source,
  ...(reason === undefined ? {} : { reason }),
});

describe("linkSourcesOf", () => {
  it("events for peers lab never observed; the TCP table, or configured links as soon as they once stood in", () => {
    const records = mergeTimeline(
      [],
      [],
      [],
      [
        observed(10, "bob", "tcp-table"),
        observed(10, "carol", "tcp-table"),
        observed(20, "carol", "configured", "no cat"),
        observed(30, "carol", "tcp-table"),
        observed(30, "zed", "tcp-table"),
      ],
    );
    expect(linkSourcesOf(["alice", "bob", "carol"], records)).toEqual({
      alice: { source: "events" },
      bob: { source: "tcp-table" },
      carol: { source: "configured", reason: "no cat" },
    });
  });
});

describe("changesOutsideLab", () => {
  it("matches each change to the lab action that caused it, and names the rest", () => {
    const records = mergeTimeline(
      [],
      [
        act(0, "up"),
        act(100, "kill", "bob"),
        act(300, "start", "bob"),
        act(500, "send", "bob"),
        act(900, "restart", "carol"),
      ],
      [
        engine(10, "alice", "start"),
        engine(10, "bob", "start"),
        engine(10, "carol", "start"),
        engine(120, "bob", "die", 137),
        engine(320, "bob", "start"),
        // docker kill: the latest action on bob (start; a send changes nothing) does not make a container die.
        engine(600, "bob", "die", 137),
        // The restart explains one die and one start; a later death (the OOM killer, say) is not lab's.
        engine(950, "carol", "die", 143),
        engine(960, "carol", "start"),
        engine(2000, "carol", "die", 137),
      ],
    );
    expect(changesOutsideLab(records).map((r) => [r.ts, r.target, r.change])).toEqual([
      [at(600), "bob", "die"],
      [at(2000), "carol", "die"],
    ]);
  });

  it("without any lab action (the journal removed, no process record), every change is outside lab's control", () => {
    const records = mergeTimeline([], [], [engine(10, "bob", "start"), engine(100, "bob", "die", 137)]);
    expect(changesOutsideLab(records)).toHaveLength(2);
  });
});

describe("statesAt", () => {
  it("the engine's die, pause and unpause set a peer's state; its start waits for the process to listen", () => {
    const records = mergeTimeline(
      [
        { ts: at(5), peer: "bob", ev: "listening", port: 7000 },
        { ts: at(650), peer: "bob", ev: "listening", port: 7000 },
      ],
      [],
      [
        engine(0, "bob", "start"),
        engine(100, "bob", "pause"),
        engine(200, "bob", "unpause"),
        engine(300, "bob", "die", 1),
        engine(400, "bob", "die", 137),
        engine(600, "bob", "start"),
      ],
    );
    const state = (ms: number) => statesAt(["bob"], records, at(ms))[0]!.status;
    expect([state(1), state(50), state(150), state(250), state(350), state(450), state(610), state(700)]).toEqual([
      "restarting",
      "running",
      "paused",
      "running",
      "exited",
      "killed",
      "restarting",
      "running",
    ]);
  });

  it("a restarted process that printed listening before the engine's start event counts as running", () => {
    const records = mergeTimeline(
      [{ ts: at(590), peer: "bob", ev: "listening", port: 7000 }],
      [],
      [engine(400, "bob", "die", 137), engine(600, "bob", "start")],
    );
    expect(statesAt(["bob"], records, at(700))[0]!.status).toBe("running");
  });
});

describe("networkStateAt and overlayAt", () => {
  const partition: NetworkFault = { kind: "partition", groups: [["alice"], ["bob"]] };
  const records = mergeTimeline(
    [
      { ts: at(0), peer: "alice", ev: "listening", port: 7000 },
      { ts: at(0), peer: "bob", ev: "listening", port: 7000 },
      { ts: at(10), peer: "alice", ev: "link-up", neighbor: "bob", addr: "x", dir: "out" },
      { ts: at(10), peer: "bob", ev: "link-up", neighbor: "alice", addr: "x", dir: "in" },
    ],
    [
      { ts: at(100), action: "partition", fault: partition },
      { ts: at(200), action: "heal", fault: { kind: "heal" } },
    ],
    [],
  );

  it("replays the network faults lab journalled up to the moment", () => {
    expect(networkStateAt(records, at(50))).toEqual(NO_NETWORK_FAULTS);
    expect(networkStateAt(records, at(100)).partition).toEqual([["alice"], ["bob"]]);
    expect(networkStateAt(records, at(300))).toEqual(NO_NETWORK_FAULTS);
  });

  it("the overlay during a partition has the link the peers still report as cut, and two partitions; after heal, one", () => {
    expect(overlayAt(["alice", "bob"], records, at(150))).toEqual({
      links: [],
      cut: [{ from: "alice", to: "bob", oneWay: false }],
      partitions: [["alice"], ["bob"]],
    });
    expect(overlayAt(["alice", "bob"], records, at(250)).partitions).toEqual([["alice", "bob"]]);
  });
});
