import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, leftovers, startLab, topologyCopy, type LabRun } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";

interface Status {
  peers: Array<{ name: string; status: string; neighbors: string[] }>;
  overlay: { partitions: string[][] };
}

/** A long wait after the first expectation: a signal lands while the scenario runs, however fast the engine. */
const longWait = (text: string): string => text.replace("  - kill: bob\n", "  - wait: 5m\n  - kill: bob\n");

/** The lab's networks, by label: a lab has exactly one. */
async function networksOf(name: string): Promise<string[]> {
  const networks = await new Docker().listNetworks({ filters: { label: [`p2plab.lab=${name}`] } });
  return networks.map((network) => network.Id);
}

/** The winner's and the loser's runs of two commands started together; the loser said why it lost. */
function winnerAndLoser(runs: LabRun[]): { winner: LabRun; loser: LabRun } {
  const [winner, loser] = [...runs].sort((a, b) => (a.code ?? 99) - (b.code ?? 99));
  expect(
    runs.map((run) => run.code).sort(),
    runs.map((run) => `exit ${run.code}:\n${run.stderr}${run.stdout}`).join("\n---\n"),
  ).toEqual([0, 2]);
  expect(loser!.stderr).toMatch(/^lab: lab "[\w-]+" is already running or being started$/m);
  return { winner: winner!, loser: loser! };
}

describe.skipIf(skipReason !== undefined)(
  `the lab's lifecycle on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const names: string[] = [];
    afterAll(async () => {
      for (const name of names) await lab(["down", name, "--results", RESULTS]);
      for (const name of names) expect(await leftovers(name)).toEqual([]);
    });

    it("two lab up of the same lab started together: one wins, the other exits 2 and leaves the winner's lab intact", async () => {
      const name = uniqueLabName("race");
      names.push(name);
      const file = await topologyCopy("topologies/chain.yaml", name);
      const { winner } = winnerAndLoser(await Promise.all([lab(["up", file]), lab(["up", file])]));
      expect(winner.stdout).toContain(`lab ${name} is up and wired`);
      expect(await networksOf(name)).toHaveLength(1);
      const status = await labJson<Status>(["status", name]);
      expect(status.peers.map((peer) => peer.status)).toEqual(["running", "running", "running", "running"]);
      expect(status.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
      const down = await lab(["down", name, "--results", RESULTS]);
      expect(down.code, down.stderr).toBe(0);
      expect(await leftovers(name)).toEqual([]);
    });

    it("two lab run of the same lab started together: one runs to its verdict, the other exits 2 without touching it", async () => {
      const name = uniqueLabName("racerun");
      names.push(name);
      const file = await topologyCopy("topologies/chain.yaml", name);
      const runs = [startLab(["run", file, "--results", RESULTS]), startLab(["run", file, "--results", RESULTS])];
      // While the winner's scenario runs, the lab has one network.
      await Promise.any(runs.map((run) => run.waitFor(/\[1\/8\] ✓/, 240_000)));
      expect(await networksOf(name)).toHaveLength(1);
      const { winner } = winnerAndLoser(await Promise.all(runs.map((run) => run.done)));
      expect(winner.stdout).toContain("[8/8] ✓");
      expect(winner.stdout).toMatch(/PASS\n$/);
      expect(await leftovers(name)).toEqual([]);
    });

    it("SIGTERM during a run saves the transcripts, removes the lab and exits 143", async () => {
      const name = uniqueLabName("term");
      names.push(name);
      const run = startLab(["run", await topologyCopy("topologies/chain.yaml", name, longWait), "--results", RESULTS]);
      await run.waitFor(/\[2\/9\] ✓/, 240_000);
      run.signal("SIGTERM");
      const { code, stdout, stderr } = await run.done;
      expect(code, stderr).toBe(143);
      expect(stdout).not.toContain("[3/9]");
      const saved = (await readdir(RESULTS)).filter((entry) => entry.startsWith(`${name}-`));
      expect(saved).toHaveLength(1);
      expect(existsSync(join(RESULTS, saved[0]!, "transcripts/alice.jsonl"))).toBe(true);
      expect(existsSync(join(RESULTS, saved[0]!, "timeline.jsonl"))).toBe(true);
      expect(await leftovers(name)).toEqual([]);
    });

    it("an unwritable --results fails at once with exit 2, before anything is created", async () => {
      const name = uniqueLabName("nowrite");
      names.push(name);
      const file = await topologyCopy("topologies/chain.yaml", name);
      // Root writes anywhere permissions allow: a regular file as the parent stops it, and so does /proc.
      const notADirectory = join(await mkdtemp(join(tmpdir(), "p2plab-results-")), "a-file");
      await writeFile(notADirectory, "");
      for (const results of [join(notADirectory, "results"), "/proc/nope"]) {
        const started = Date.now();
        const run = await lab(["run", file, "--results", results]);
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain(`lab: cannot write results to ${results}:`);
        expect(run.stderr).toContain("fix: choose another directory with --results");
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(await leftovers(name)).toEqual([]);
      }
    });

    it("peer containers run with the topology's memory and pids limits, and their logs are size-bounded", async () => {
      const name = uniqueLabName("limits");
      names.push(name);
      const limits = (text: string): string =>
        text
          .replace("defaults:\n", "defaults:\n  limits: { memory: 192m }\n")
          .replace("  dave: { connect: [carol] }", "  dave: { connect: [carol], limits: { pids: 100 } }");
      const file = await topologyCopy("topologies/chain.yaml", name, limits);
      const up = await lab(["up", file]);
      expect(up.code, up.stderr).toBe(0);
      const docker = new Docker();
      const containers = await docker.listContainers({
        all: true,
        filters: { label: [`p2plab.lab=${name}`, "p2plab.role=peer"] },
      });
      const hosts = new Map<string, Docker.ContainerInspectInfo["HostConfig"]>();
      for (const container of containers) {
        const info = await docker.getContainer(container.Id).inspect();
        hosts.set(info.Config.Labels["p2plab.peer"]!, info.HostConfig);
      }
      expect([...hosts.keys()].sort()).toEqual(["alice", "bob", "carol", "dave"]);
      for (const [peer, host] of hosts) {
        expect(host.Memory, peer).toBe(192 * 1024 * 1024);
        expect(host.MemorySwap, peer).toBe(192 * 1024 * 1024);
        expect(host.PidsLimit, peer).toBe(peer === "dave" ? 100 : 256);
        expect(host.LogConfig, peer).toEqual({ Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } });
      }
      const down = await lab(["down", name, "--results", RESULTS]);
      expect(down.code, down.stderr).toBe(0);
      // The transcripts are read from the size-bounded logs.
      const saved = /transcripts saved to (\S+)/.exec(down.stdout)?.[1];
      expect(saved).toBeDefined();
      expect(await readFile(join(saved!, "transcripts/dave.jsonl"), "utf8")).toContain('"ev":"listening"');
    });
  },
);
