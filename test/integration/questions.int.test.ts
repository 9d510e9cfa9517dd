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

    /** `lab run` of a question's topology under a unique name: it must pass; its summary and timeline. */
    async function runQuestion(file: string, prefix: string): Promise<Outcome> {
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
      expect(summary.check.counts).toMatchObject({ missing: 0, duplicated: 0, unexpected: 0 });
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
  },
);
