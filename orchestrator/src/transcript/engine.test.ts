import { describe, expect, it } from "vitest";
import type { ContainerEvent, ContainerInfo } from "../runtime/runtime.js";
import { describeEngineRecord, engineRecords } from "./engine.js";

const info = (
  id: string,
  state: ContainerInfo["state"],
  times: { started?: string; finished?: string; exitCode?: number },
): ContainerInfo => ({
  id,
  name: `p2plab-t-${id}`,
  labels: {},
  state,
  exitCode: times.exitCode ?? 0,
  createdAt: "2026-11-25T12:00:00.000000000Z",
  startedAt: times.started ?? "",
  finishedAt: times.finished ?? "",
});

describe("engineRecords", () => {
  it("names each event's peer and drops events of containers that are not the lab's peers", () => {
    const containers = new Map([
      [
        "bob",
        info("b1", "exited", {
          started: "2026-11-25T12:00:01.100200300Z",
          finished: "2026-11-25T12:00:05.000100200Z",
          exitCode: 137,
        }),
      ],
    ]);
    const events: ContainerEvent[] = [
      { ts: "2026-11-25T12:00:01.101Z", id: "b1", change: "start" },
      { ts: "2026-11-25T12:00:02.000Z", id: "journal", change: "die", exitCode: 0 },
      { ts: "2026-11-25T12:00:05.001Z", id: "b1", change: "die", exitCode: 137 },
    ];
    expect(engineRecords(events, containers)).toEqual([
      {
        ts: "2026-11-25T12:00:01.101Z",
        peer: "engine",
        ev: "container",
        target: "bob",
        change: "start",
        source: "events",
      },
      {
        ts: "2026-11-25T12:00:05.001Z",
        peer: "engine",
        ev: "container",
        target: "bob",
        change: "die",
        exitCode: 137,
        source: "events",
      },
    ]);
  });

  it("when the engine no longer holds the events, the container's last start and finish stand in", () => {
    const containers = new Map([
      [
        "bob",
        info("b1", "exited", {
          started: "2026-11-25T12:00:01.100200300Z",
          finished: "2026-11-25T12:00:05.000100200Z",
          exitCode: 137,
        }),
      ],
      ["carol", info("c1", "running", { started: "2026-11-25T12:00:01.200Z", finished: "" })],
    ]);
    expect(engineRecords([], containers)).toEqual([
      {
        ts: "2026-11-25T12:00:01.100Z",
        peer: "engine",
        ev: "container",
        target: "bob",
        change: "start",
        source: "state",
      },
      {
        ts: "2026-11-25T12:00:01.200Z",
        peer: "engine",
        ev: "container",
        target: "carol",
        change: "start",
        source: "state",
      },
      {
        ts: "2026-11-25T12:00:05.000Z",
        peer: "engine",
        ev: "container",
        target: "bob",
        change: "die",
        exitCode: 137,
        source: "state",
      },
    ]);
  });

  it("an event from before the last start does not stand for it: a restarted peer's last start is added", () => {
    const containers = new Map([
      [
        "bob",
        info("b1", "running", {
          started: "2026-11-25T12:00:09.000Z",
          finished: "2026-11-25T12:00:08.900Z",
          exitCode: 0,
        }),
      ],
    ]);
    const events: ContainerEvent[] = [{ ts: "2026-11-25T12:00:01.000Z", id: "b1", change: "start" }];
    expect(engineRecords(events, containers).map((r) => [r.ts, r.change, r.source])).toEqual([
      ["2026-11-25T12:00:01.000Z", "start", "events"],
      ["2026-11-25T12:00:09.000Z", "start", "state"],
    ]);
  });

  it("says what changed, and where the engine's word came from", () => {
    expect(
      describeEngineRecord({
        ts: "",
        peer: "engine",
        ev: "container",
        target: "bob",
        change: "die",
        exitCode: 137,
        source: "events",
      }),
    ).toBe("engine: bob died (exit 137)");
    expect(
      describeEngineRecord({
        ts: "",
        peer: "engine",
        ev: "container",
        target: "bob",
        change: "start",
        source: "state",
      }),
    ).toBe("engine: bob started (from the container's state)");
  });
});
