import { afterEach, describe, expect, it } from "vitest";
import { CountingRuntime } from "../../../test/support/counting-runtime.js";
import { MemoryLabs, shipped, topologyFrom, upOptions } from "../../../test/support/memory-lab.js";
import { waitFor } from "../wait.js";
import type { PeerLine } from "../transcript/transcript.js";
import { control } from "./control.js";
import { LiveFollower } from "./live.js";
import { up } from "./up.js";

const never = new AbortController().signal;

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

describe("LiveFollower (watch, logs -f) on a memory runtime", () => {
  it("follows one peer through a restart: its new process's lines come too, no line twice, no other peer's", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const lines: PeerLine[] = [];
    const stop = new AbortController();
    const follower = new LiveFollower(lab, (line) => lines.push(line), stop.signal, "dave");
    await follower.start();
    await control(lab, "restart", "dave", 1, never);
    const listened = (): number => lines.filter((line) => line.event?.ev === "listening").length;
    for (const deadline = Date.now() + 5000; listened() < 2 && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    await follower.closed();
    expect(lines.map((line) => line.event?.ev)).toEqual([
      "listening",
      "link-up",
      "link-down",
      "exit",
      "listening",
      "link-up",
    ]);
    expect(new Set(lines.map((line) => line.peer))).toEqual(new Set(["dave"]));
  });

  it("does not deliver again the lines it was told were shown already (watch and logs -f print the past first)", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const past = (await lab.recording()).lines.get("dave") ?? [];
    expect(past.length).toBeGreaterThan(0);
    const lines: PeerLine[] = [];
    const stop = new AbortController();
    const follower = new LiveFollower(lab, (line) => lines.push(line), stop.signal, "dave");
    follower.seen(past);
    await follower.start();
    await control(lab, "restart", "dave", 1, never);
    for (const deadline = Date.now() + 5000; !lines.some((l) => l.event?.ev === "listening") && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    await follower.closed();
    expect(lines.filter((line) => past.some((seen) => seen.ts === line.ts && seen.text === line.text))).toEqual([]);
    expect(lines.map((line) => line.event?.ev)).toContain("listening");
  });

  it("asks the engine nothing while it follows, whatever the lab's size; a peer restarted behind its back costs its inspect and its log", async () => {
    /** The requests from the start of following a `size`-peer ring to p2's second process's first line. */
    const followCost = async (size: number) => {
      const counting = new CountingRuntime(labs.runtime());
      const topology = topologyFrom(`name: live\ngenerate: { shape: ring, size: ${size} }\n`, "live.yaml");
      const { lab } = await up(counting.runtime, topology, upOptions());
      const lines: PeerLine[] = [];
      const stop = new AbortController();
      const follower = new LiveFollower(lab, (line) => lines.push(line), stop.signal);
      await follower.start();
      counting.reset();
      const p2 = follower.containers().peers.get("p2")!;
      await lab.runtime.restart(p2.id, 1);
      await waitFor(
        () => lines.filter((line) => line.peer === "p2" && line.event?.ev === "listening").length === 2 || undefined,
        { what: "p2's second listening line", intervalMs: 20, timeoutMs: 5000, signal: never },
      );
      await waitFor(() => follower.containers().peers.get("p2")!.address !== undefined || undefined, {
        what: "p2's address read again",
        intervalMs: 20,
        timeoutMs: 5000,
        signal: never,
      });
      stop.abort();
      await follower.closed();
      await labs.closeAll();
      return counting.calls;
    };
    const small = await followCost(4);
    expect(small).toEqual({ restart: 1, inspect: 1, logs: 1 });
    expect(await followCost(32)).toEqual(small);
  });
});
