import { afterEach, describe, expect, it } from "vitest";
import { MemoryLabs, shipped } from "../../../test/support/memory-lab.js";
import type { PeerLine } from "../transcript/transcript.js";
import { control } from "./control.js";
import { LiveFollower } from "./live.js";

const never = new AbortController().signal;

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

describe("LiveFollower (watch, logs -f) on a memory runtime", () => {
  it("follows one peer through a restart: its new process's lines come too, no line twice, no other peer's", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const lines: PeerLine[] = [];
    const stop = new AbortController();
    const follower = new LiveFollower(lab, (line) => lines.push(line), stop.signal, "dave");
    await follower.poll();
    await control(lab, "restart", "dave", 1, never);
    await follower.poll();
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
    await follower.poll();
    await control(lab, "restart", "dave", 1, never);
    await follower.poll();
    for (const deadline = Date.now() + 5000; !lines.some((l) => l.event?.ev === "listening") && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    await follower.closed();
    expect(lines.filter((line) => past.some((seen) => seen.ts === line.ts && seen.text === line.text))).toEqual([]);
    expect(lines.map((line) => line.event?.ev)).toContain("listening");
  });
});
