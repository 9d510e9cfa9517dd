import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../orchestrator/src/check/run-report.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, leftovers } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";

/**
 * A 4-peer chain of heal peers keeping one link each (so it stays a chain until something breaks):
 * its bridge is killed, then restarted, then the network is partitioned across the chain and healed.
 * The scenario's own expectations are the deadlines; the checker fails the run on any message
 * missing or shown twice.
 */
const CHAIN_OF_ONE = `
defaults: { mode: heal, minNeighbours: 1 }
peers:
  alice: {}
  bob: { connect: [alice] }
  carol: { connect: [bob] }
  dave: { connect: [carol] }
scenario:
  - send: { from: alice, text: hello }
  - expect: { delivered: hello, to: [bob, carol, dave], within: 3s }
  - kill: bob
  - expect: { partitions: [[alice, carol, dave]], within: 5s }
  - send: { from: alice, text: after the kill }
  - expect: { delivered: after the kill, to: [carol, dave], within: 3s }
  - restart: bob
  - expect: { partitions: [[alice, bob, carol, dave]], within: 10s }
  - send: { from: dave, text: after the restart }
  - expect: { delivered: after the restart, to: [alice, bob, carol], within: 3s }
  - partition: [[alice, bob], [carol, dave]]
  - expect: { links: { down: [[alice, carol]], reason: timeout }, within: 6s }
  - heal:
  - expect: { partitions: [[alice, bob, carol, dave]], within: 10s }
  - send: { from: alice, text: after the heal }
  - expect: { delivered: after the heal, to: [bob, carol, dave], within: 3s }
`;

/** A 6-peer chain in heal mode from the topology's mode alone (default --min-neighbours 2); carol dies. */
const CHAIN_OF_SIX = `
defaults: { mode: heal }
peers:
  alice: {}
  bob: { connect: [alice] }
  carol: { connect: [bob] }
  dave: { connect: [carol] }
  eve: { connect: [dave] }
  frank: { connect: [eve] }
scenario:
  - send: { from: alice, text: hello }
  - expect: { delivered: hello, to: [bob, carol, dave, eve, frank], within: 3s }
  - kill: carol
  - expect: { partitions: [[alice, bob, dave, eve, frank]], within: 6s }
  - send: { from: alice, text: after the kill }
  - expect: { delivered: after the kill, to: [bob, dave, eve, frank], within: 3s }
`;

interface Line {
  ts: string;
  peer: string;
  ev: string;
  action?: string;
  neighbor?: string;
  repair?: boolean;
}

/** Runs a topology text under a unique lab name; returns the run's results directory. */
async function run(prefix: string, body: string, names: string[]): Promise<string> {
  const name = uniqueLabName(prefix);
  names.push(name);
  const file = join(await mkdtemp(join(tmpdir(), "p2plab-heal-")), `${name}.yaml`);
  await writeFile(file, `name: ${name}\n${body}`);
  const result = await lab(["run", file, "--results", RESULTS]);
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  const dir = /report: (\S+)\/report\.html/.exec(result.stdout)?.[1];
  expect(dir).toBeDefined();
  return dir!;
}

async function jsonLines(file: string): Promise<Line[]> {
  return (await readFile(file, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
}

/** Milliseconds from the lab's `action` to the first repair link-up after it, from the timeline. */
function repairAfter(timeline: Line[], action: string): number {
  const at = Date.parse(timeline.find((line) => line.ev === "action" && line.action === action)!.ts);
  const repair = timeline.find((line) => line.ev === "link-up" && line.repair === true && Date.parse(line.ts) >= at);
  expect(repair, `a repair link-up after ${action}`).toBeDefined();
  return Date.parse(repair!.ts) - at;
}

describe.skipIf(skipReason !== undefined)(
  `heal mode on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const names: string[] = [];
    afterAll(async () => {
      for (const name of names) expect(await leftovers(name)).toEqual([]);
    });

    it("a chain's killed bridge is routed around, its restart rejoins, and a healed partition is found again", async () => {
      const dir = await run("heal-chain", CHAIN_OF_ONE, names);
      const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as RunReport;
      expect(summary.verdict).toBe("pass");
      expect(summary.check.counts).toMatchObject({ missing: 0, duplicated: 0 });
      const timeline = await jsonLines(join(dir, "timeline.jsonl"));
      // A kill is seen at once (EOF): one backoff step (≤ 200 ms) and a dial.
      const afterKill = repairAfter(timeline, "kill");
      expect(afterKill).toBeLessThan(2000);
      // A partition heals silently: a retry still waiting out its backoff (≤ 4 s) or its dial (--timeout 3 s).
      const afterHeal = repairAfter(timeline, "heal");
      expect(afterHeal).toBeLessThan(8000);
      console.log(
        `heal mode: repair ${afterKill} ms after the bridge's kill, ${afterHeal} ms after the partition healed`,
      );
    });

    it("in the topology's heal mode (two links each), the live peers stay one network and hear each message once", async () => {
      const dir = await run("heal-six", CHAIN_OF_SIX, names);
      const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as RunReport;
      expect(summary.check.counts).toMatchObject({ delivered: 9, missing: 0, duplicated: 0 });
      // At the start the chain's ends, with one link each, topped up to two: alice dialled a peer she
      // heard of, or was dialled by one topping up itself (the accepting side's link-up says no repair).
      const timeline = await jsonLines(join(dir, "timeline.jsonl"));
      const kill = timeline.findIndex((line) => line.ev === "action" && line.action === "kill");
      const beforeKill = timeline.slice(0, kill);
      expect(beforeKill.some((line) => line.ev === "link-up" && line.repair === true)).toBe(true);
      const aliceLinks = new Set(
        beforeKill.filter((l) => l.peer === "alice" && l.ev === "link-up").map((l) => l.neighbor),
      );
      expect(aliceLinks.size).toBeGreaterThanOrEqual(2);
    });
  },
);
