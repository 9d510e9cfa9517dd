import { afterEach, describe, expect, it } from "vitest";
import { CountingRuntime } from "../../../test/support/counting-runtime.js";
import { MemoryLabs, shipped, upOptions } from "../../../test/support/memory-lab.js";
import { waitFor } from "../wait.js";
import { control } from "./control.js";
import { recordingTimeline } from "./lab.js";
import { RecordingFollower } from "./recording-follower.js";
import { up } from "./up.js";

const never = new AbortController().signal;
const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

describe("a lab's recording followed in memory", () => {
  it("sees what reading the lab whole sees, across a restart and a kill, with no more engine requests per look", async () => {
    const counting = new CountingRuntime(labs.runtime());
    const { lab } = await up(counting.runtime, shipped("topologies/chain.yaml"), upOptions());
    const following = await RecordingFollower.start(lab);
    try {
      await control(lab, "restart", "bob", 5, never);
      await control(lab, "kill", "carol", 5, never);
      await control(lab, "stop", "dave", 5, never);
      const read = await lab.recording();
      // The follows catch up with what the lab holds: each line once, a restarted peer's new process included.
      const followed = await waitFor(
        () => {
          const recording = following.recording();
          return recordingTimeline(recording).length === recordingTimeline(read).length ? recording : undefined;
        },
        { what: "the follows caught up", intervalMs: 20, timeoutMs: 5000, signal: never },
      );
      expect(recordingTimeline(followed)).toEqual(recordingTimeline(read));
      expect(followed.lines.get("bob")!.filter((line) => line.event?.ev === "listening")).toHaveLength(2);
      expect(following.snapshot(followed)).toEqual(await lab.snapshot(read));

      counting.reset();
      for (let look = 0; look < 20; look++) following.snapshot();
      expect(counting.total).toBe(0);
    } finally {
      await following.close();
    }
  });

  it("follows more than ten peers without Node's listener-leak warning (one signal ends every peer's stream)", async () => {
    const warnings: string[] = [];
    const warned = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", warned);
    try {
      const { lab } = await up(labs.runtime(), shipped("topologies/chain64.yaml"), upOptions());
      const following = await RecordingFollower.start(lab);
      try {
        await waitFor(() => (following.recording().lines.get("p64")?.length ? true : undefined), {
          what: "p64's log followed",
          intervalMs: 20,
          timeoutMs: 10_000,
          signal: never,
        });
        // A warning is emitted on the next tick: let one pass.
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.filter((warning) => warning.startsWith("MaxListenersExceededWarning"))).toEqual([]);
      } finally {
        await following.close();
      }
    } finally {
      process.off("warning", warned);
    }
  });
});
