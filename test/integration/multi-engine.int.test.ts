import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../orchestrator/src/check/run-report.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { resolveEngine } from "../../orchestrator/src/runtime/engines.js";
import { waitFor } from "../../orchestrator/src/wait.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, topologyCopy } from "../support/lab-cli.js";
import { sandboxContext, sandboxSkipReason, swarmSandbox } from "../support/swarm-sandbox.js";

/**
 * A lab over three engines on this machine: the host engine and two engines of the swarm
 * sandbox (scripts/swarm-sandbox.sh), joined by an attachable overlay network. The test brings
 * the sandbox up and down itself; a sandbox already up (another test's, or a person's) is used
 * as it is and left up.
 */
const skipReason = (await engineOrSkipReason()) ?? sandboxSkipReason();
const ENGINES = ["default", sandboxContext(1), sandboxContext(2)];
const RESULTS = "/tmp/p2plab-test-results";

async function sandbox(...args: string[]): Promise<string> {
  const run = await swarmSandbox(...args);
  if (run.code !== 0) throw new Error(`swarm-sandbox.sh ${args.join(" ")} exited ${run.code}:\n${run.stderr}`);
  return run.stdout;
}

/** Everything with the lab's label, on every engine, each prefixed with its engine. */
async function leftoversEverywhere(name: string): Promise<string[]> {
  const found = await Promise.all(
    ENGINES.map(async (engine) => {
      const runtime = DockerRuntime.connect(await resolveEngine(engine));
      const containers = await runtime.listContainers({ "p2plab.lab": name });
      const networks = await runtime.listNetworks({ "p2plab.lab": name });
      return [...containers, ...networks].map((item) => `${engine}: ${item.name}`);
    }),
  );
  return found.flat();
}

/** Every sandbox engine answers through its context. */
async function sandboxReady(): Promise<boolean> {
  try {
    await Promise.all(ENGINES.map(async (engine) => DockerRuntime.connect(await resolveEngine(engine)).ping()));
    return true;
  } catch {
    return false;
  }
}

interface PeerJson {
  name: string;
  status: string;
}

describe.skipIf(skipReason !== undefined)(
  `a lab over three engines${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    let ours = false;
    const names: string[] = [];

    beforeAll(async () => {
      if ((await sandbox("status")).includes("no sandbox engines")) {
        ours = true;
        await sandbox("up", "2");
      }
      // A sandbox someone else is still bringing up is used once its engines answer.
      await waitFor(async () => ((await sandboxReady()) ? true : undefined), {
        what: "the swarm sandbox's engines answering through their contexts",
        intervalMs: 1000,
        timeoutMs: 120_000,
        signal: new AbortController().signal,
      });
    }, 300_000);

    afterAll(async () => {
      try {
        for (const name of names) expect(await leftoversEverywhere(name)).toEqual([]);
      } finally {
        if (ours) await sandbox("down");
      }
    }, 300_000);

    it("runs the chain story with the bridge on another engine than its neighbours: a pass, clocks measured, nothing left", async () => {
      const name = uniqueLabName("engines");
      names.push(name);
      const file = await topologyCopy("topologies/chain.yaml", name);
      const run = await lab([
        "run",
        file,
        "--engines",
        ENGINES.join(","),
        "--place",
        "alice=default,bob=p2plab-sbx-1,carol=p2plab-sbx-2,dave=default",
        "--results",
        RESULTS,
      ]);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.stderr).toContain(`engines ${ENGINES.join(", ")}: one swarm`);
      expect(run.stderr).toMatch(/clock offsets \(engine − lab\): default [+−][\d.]+ ms ± /);
      const dir = /report: (\S+)\/report\.html/.exec(run.stdout)?.[1];
      const summary = JSON.parse(await readFile(join(dir!, "summary.json"), "utf8")) as RunReport;
      expect(summary.verdict).toBe("pass");
      expect(summary.engines?.map((engine) => [engine.name, engine.peers])).toEqual([
        ["default", ["alice", "dave"]],
        ["p2plab-sbx-1", ["bob"]],
        ["p2plab-sbx-2", ["carol"]],
      ]);
      // Across machines on one clock: no copy arrives before it was sent.
      const latencies = summary.messages.flatMap((message) =>
        Object.values(message.cells).flatMap((cell) => (cell.latencyMs === undefined ? [] : [cell.latencyMs])),
      );
      expect(latencies.length).toBeGreaterThan(0);
      expect(Math.min(...latencies)).toBeGreaterThanOrEqual(0);
      expect(await leftoversEverywhere(name)).toEqual([]);
    });

    it("kill and pause reach the engine holding the peer, found from the lab's labels alone; down leaves nothing anywhere", async () => {
      const name = uniqueLabName("engines");
      names.push(name);
      const file = await topologyCopy("topologies/chain.yaml", name);
      const upped = await lab(["up", file, "--engines", ENGINES.join(","), "--place", "bob=p2plab-sbx-1"]);
      expect(upped.code, upped.stderr + upped.stdout).toBe(0);
      // No --engines from here on: the default engine's copy of the lab's network names the others.
      const paused = await lab(["pause", "carol", "--lab", name]);
      expect(paused.code, paused.stderr + paused.stdout).toBe(0);
      const killed = await lab(["kill", "bob", "--lab", name]);
      expect(killed.code, killed.stderr + killed.stdout).toBe(0);
      const status = await labJson<{ peers: PeerJson[] }>(["status", name]);
      expect(Object.fromEntries(status.peers.map((peer) => [peer.name, peer.status]))).toEqual({
        alice: "running",
        bob: "killed",
        carol: "paused",
        dave: "running",
      });
      const down = await lab(["down", name, "--results", RESULTS]);
      expect(down.code, down.stderr + down.stdout).toBe(0);
      expect(await leftoversEverywhere(name)).toEqual([]);
    });
  },
);
