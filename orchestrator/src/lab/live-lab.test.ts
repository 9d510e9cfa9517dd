import { afterEach, describe, expect, it } from "vitest";
import { CountingRuntime } from "../../../test/support/counting-runtime.js";
import { MemoryLabs, resultsDir, shipped, upOptions } from "../../../test/support/memory-lab.js";
import type { PeerLine } from "../transcript/transcript.js";
import { waitFor } from "../wait.js";
import { control } from "./control.js";
import { down } from "./down.js";
import { LiveLab } from "./live-lab.js";
import { up } from "./up.js";

const never = new AbortController().signal;
const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

/** Waits for `check` to hold, polling every 20 ms for at most 5 s. */
const until = (what: string, check: () => boolean) =>
  waitFor(() => check() || undefined, { what, intervalMs: 20, timeoutMs: 5000, signal: never });

describe("LiveLab (watch, ui) on a memory runtime", () => {
  it("gives the past lines then the new ones, and a snapshot that follows a kill, telling each change", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const lines: PeerLine[] = [];
    let changes = 0;
    const stop = new AbortController();
    const live = await LiveLab.open(lab, stop.signal, {
      line: (line) => lines.push(line),
      changed: () => changes++,
    });
    const past = lines.length;
    expect(lines.filter((line) => line.event?.ev === "listening").map((line) => line.peer)).toEqual(
      expect.arrayContaining(["alice", "bob", "carol", "dave"]),
    );
    expect(live.snapshot().overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
    changes = 0;
    await control(lab, "kill", "bob", 0, never);
    await until(
      "bob killed in the snapshot",
      () => live.snapshot().peers.find((p) => p.name === "bob")!.status === "killed",
    );
    expect(changes).toBeGreaterThan(0);
    expect(lines.slice(past).some((line) => line.peer === "alice" && line.event?.ev === "link-down")).toBe(true);
    stop.abort();
    expect(await live.ended).toBeUndefined();
    await live.close();
  });

  it("asks the engine nothing however often its snapshot is read", async () => {
    const counting = new CountingRuntime(labs.runtime());
    const { lab } = await up(counting.runtime, shipped("topologies/chain.yaml"), upOptions());
    let polls = 0;
    const live = await LiveLab.open(lab, never, { line: () => {}, polled: () => polls++ });
    counting.reset();
    const from = polls;
    for (let i = 0; i < 200; i++) live.snapshot();
    await until("two polls more", () => polls >= from + 2);
    expect(counting.calls).toEqual({});
    await live.close();
  });

  it("ends by itself when the lab is brought down, and says so", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const live = await LiveLab.open(lab, never, { line: () => {} });
    await down(lab.runtime, lab.name, { save: true, resultsDir: resultsDir() });
    expect(await live.ended).toEqual({ reason: "lab-down" });
    await live.close();
  });

  it("ends by itself when the engine stops answering, with the error that names the fix", async () => {
    const runtime = labs.runtime();
    const { lab } = await up(runtime, shipped("topologies/chain.yaml"), upOptions());
    const live = await LiveLab.open(lab, never, { line: () => {} });
    runtime.stopAnswering();
    const end = await live.ended;
    expect(end?.reason).toBe("engine-gone");
    expect(end?.reason === "engine-gone" && end.error.message).toMatch(/no Docker engine answers/);
    expect(end?.reason === "engine-gone" && end.error.hint).toMatch(/start the engine/);
    await live.close();
  });
});
