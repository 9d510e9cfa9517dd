import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../orchestrator/src/check/run-report.js";
import type { TimelineRecord } from "../../orchestrator/src/transcript/transcript.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, leftovers, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";
/** q2-breaks.yaml's heartbeat and timeout: a silent neighbour is noticed no sooner than their difference. */
const HEARTBEAT_MS = 1000;
const TIMEOUT_MS = 3000;
/**
 * q4-heal.yaml's repair bounds. A killed neighbour reads EOF at once; the first dial waits
 * 100–200 ms and takes a few more on one host: 2 s leaves the slow CI machine room. A paused one
 * is noticed after up to timeout + heartbeat, then the same wait and dial.
 */
const REPAIR_AFTER_KILL_MS = 2000;
const REPAIR_AFTER_PAUSE_MS = TIMEOUT_MS + HEARTBEAT_MS + 2000;

interface Outcome {
  summary: RunReport;
  timeline: TimelineRecord[];
}

/**
 * The fault-tolerance questions (docs/fault-tolerance.md) as CI runs them: each question's
 * topology under `lab run`, which must pass, and the facts its answer rests on, read from the
 * run's own results.
 */
describe.skipIf(skipReason !== undefined)(
  `the fault-tolerance questions on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const names: string[] = [];
    afterAll(async () => {
      for (const name of names) expect(await leftovers(name)).toEqual([]);
    });

    /**
     * `lab run` of a question's topology under a unique name: it must pass, with nothing missing or
     * unexpected and nothing shown twice except where `storm` says (tree mode on a cycle); its
     * summary and timeline.
     */
    async function runQuestion(file: string, prefix: string, storm?: (peer: string) => boolean): Promise<Outcome> {
      const name = uniqueLabName(prefix);
      names.push(name);
      const run = await lab(["run", await topologyCopy(`topologies/questions/${file}`, name), "--results", RESULTS]);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      const dir = /report: (\S+)\/report\.html/.exec(run.stdout)?.[1];
      expect(dir, run.stdout).toBeDefined();
      const summary = JSON.parse(await readFile(join(dir!, "summary.json"), "utf8")) as RunReport;
      const timeline = (await readFile(join(dir!, "timeline.jsonl"), "utf8"))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as TimelineRecord);
      expect(summary.verdict).toBe("pass");
      expect(summary.check.counts).toMatchObject({ missing: 0, unexpected: 0 });
      const shownTwice = summary.messages.flatMap((message) =>
        Object.entries(message.cells).flatMap(([peer, cell]) => (cell.class === "duplicated" ? [peer] : [])),
      );
      expect(shownTwice.filter((peer) => !storm?.(peer))).toEqual([]);
      return { summary, timeline };
    }

    it("Q1: a leaf's crash costs only the leaf, and a write to a dead neighbour's stale connection meets a reset while the others still get the message", async () => {
      const { timeline } = await runQuestion("q1-tolerates.yaml", "q1");
      const sent = timeline.find((r) => r.ev === "sent" && r.text === "after the ghost");
      if (sent?.ev !== "sent") throw new Error("hub's sent event for the last message is not in the timeline");
      // hub wrote it on both links named ghost: the stale one (ghost's dead process) and the new one.
      expect(sent.to.filter((neighbor) => neighbor === "ghost")).toHaveLength(2);
      const resetAfterSend = timeline.filter(
        (r) => r.ev === "link-down" && r.peer === "hub" && r.neighbor === "ghost" && r.ts >= sent.ts,
      );
      expect(resetAfterSend.map((r) => r.ev === "link-down" && r.reason)).toEqual(["reset"]);
      // No link of hub's went down between ghost's kill and that write: the cut kept its FIN away.
      const killed = timeline.find((r) => r.ev === "action" && r.action === "kill" && r.target === "ghost")!;
      expect(
        timeline.filter((r) => r.ev === "link-down" && r.peer === "hub" && r.ts > killed.ts && r.ts < sent.ts),
      ).toEqual([]);
      const receivers = timeline.flatMap((r) => (r.ev === "recv" && r.id === sent.id ? [r.peer] : []));
      expect(receivers.sort()).toEqual(["amy", "ben", "dan", "ghost"]);
    });

    it("Q2: a killed bridge is noticed at once (eof), a paused or partitioned one only when the heartbeat times out", async () => {
      const { summary } = await runQuestion("q2-breaks.yaml", "q2");
      const ends = (action: string) => summary.detections!.find((d) => d.action === action)!.ends;
      for (const end of ends("kill")) {
        expect(end).toMatchObject({ reason: "eof" });
        expect(end.afterMs, `${end.peer} noticed ${end.neighbor}`).toBeLessThan(1000);
      }
      // The last byte from the silent bridge arrived up to one heartbeat before the fault, so the
      // timeout runs out no sooner than timeout − heartbeat after it.
      for (const action of ["pause", "partition"]) {
        expect(ends(action).length, action).toBeGreaterThan(0);
        for (const end of ends(action)) {
          expect(end, action).toMatchObject({ reason: "timeout" });
          expect(end.afterMs, `${action}: ${end.peer} noticed ${end.neighbor}`).toBeGreaterThanOrEqual(
            TIMEOUT_MS - HEARTBEAT_MS,
          );
        }
      }
    });

    it("Q3: two connections survive a middle crash in every mode; tree mode loops, dedup pays 2 × links − (N − 1), heal's steady state the floor", async () => {
      const { summary } = await runQuestion("q3-two-connections.yaml", "q3", (peer) => peer.startsWith("t"));
      const mode = (name: string) => summary.cost!.byMode.find((cost) => cost.mode === name)!;
      const broadcasts = (name: string) => summary.cost!.broadcasts.filter((cost) => cost.mode === name);
      // Tree mode: copies circle the cycles, shown again and again, until the hop limit drops them.
      expect(mode("tree").duplicates).toBeGreaterThan(0);
      expect(mode("tree").hopLimitDrops).toBeGreaterThan(0);
      expect(summary.check.counts.duplicated).toBeGreaterThan(0);
      // Dedup mode: every link carries the message once each way but the first copy's; 13 links
      // for 8 peers, 9 left for 7 after the crash.
      expect(broadcasts("dedup").map((cost) => [cost.frames, cost.floor])).toEqual([
        [2 * 13 - 7, 7],
        [2 * 9 - 6, 6],
      ]);
      expect(mode("dedup").hopLimitDrops).toBe(0);
      // Heal mode: after the two warm-up broadcasts, the payload along a tree, before and after the crash.
      const steady = broadcasts("heal").slice(2);
      expect(steady).toHaveLength(4);
      for (const cost of steady) expect(cost.frames, cost.id).toBeLessThanOrEqual(1.5 * cost.floor);
      expect(mode("heal").hopLimitDrops).toBe(0);
      // Every live peer of the dedup and heal networks showed every message exactly once.
      for (const message of summary.messages.filter((m) => !m.origin.startsWith("t"))) {
        for (const peer of message.reachable)
          expect(message.cells[peer], `${message.text} at ${peer}`).toMatchObject({
            class: "delivered",
            count: 1,
          });
      }
    });

    it("Q4: heal mode repairs a killed bridge and a paused one, and a later message reaches every live peer", async () => {
      const { summary } = await runQuestion("q4-heal.yaml", "q4h");
      const repairAfter = (action: string) =>
        summary.cost!.repairs.filter((repair) => repair.loss?.description === `lab ${action}`);
      const [afterKill] = repairAfter("kill k-bridge");
      expect(afterKill, "a repair after the kill").toBeDefined();
      expect(afterKill!.loss!.afterMs).toBeLessThan(REPAIR_AFTER_KILL_MS);
      const [afterPause] = repairAfter("pause p-bridge");
      expect(afterPause, "a repair after the pause").toBeDefined();
      // Not before the heartbeat could notice the silence, and not long after.
      expect(afterPause!.loss!.afterMs).toBeGreaterThanOrEqual(TIMEOUT_MS - HEARTBEAT_MS);
      expect(afterPause!.loss!.afterMs).toBeLessThan(REPAIR_AFTER_PAUSE_MS);
      // Each later message reached every live peer but its sender, once: the repaired network was whole.
      const later = {
        "after the kill": ["k-left", "p-left", "p-bridge", "p-right"],
        "after the pause": ["k-left", "k-right", "p-left"],
      };
      for (const [text, live] of Object.entries(later)) {
        const message = summary.messages.find((m) => m.text === text)!;
        expect(message.reachable.sort(), text).toEqual(live.sort());
        for (const peer of live) expect(message.cells[peer], `${text} at ${peer}`).toMatchObject({ count: 1 });
      }
    });

    it("Q4: the crash handler runs in a stopped bridge only, never in a killed one or in a survivor, and the partitions stay", async () => {
      const { timeline } = await runQuestion("q4-crash-handler.yaml", "q4c");
      const handlers = timeline.flatMap((r) => (r.ev === "crash-handler" ? [[r.peer, r.reason]] : []));
      expect(handlers).toEqual([["s-bridge", "SIGTERM"]]);
      // Nothing dialled anyone after the bridges were lost: no link came up after the kill.
      const killed = timeline.find((r) => r.ev === "action" && r.action === "kill" && r.target === "k-bridge")!;
      expect(timeline.filter((r) => r.ev === "link-up" && r.ts > killed.ts)).toEqual([]);
    });
  },
);
