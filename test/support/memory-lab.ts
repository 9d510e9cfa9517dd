import { mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Lab } from "../../orchestrator/src/lab/lab.js";
import { up, type UpOptions } from "../../orchestrator/src/lab/up.js";
import { MemoryRuntime } from "../../orchestrator/src/runtime/memory-runtime.js";
import type { Program } from "../../orchestrator/src/runtime/memory-programs.js";
import { loadTopology } from "../../orchestrator/src/topology/load.js";
import type { Topology } from "../../orchestrator/src/topology/schema.js";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Heartbeats and timeouts short enough that a paused peer is noticed within a second. */
export const FAST = (text: string): string => {
  const settings = "  heartbeat: 200ms\n  timeout: 800ms\n";
  return /^defaults:\n/m.test(text)
    ? text.replace(/^defaults:\n/m, `defaults:\n${settings}`)
    : text.replace(/^peers:\n/m, `defaults:\n${settings}peers:\n`);
};

/** A topology from YAML text; a test's own text that does not load is a bug in the test. */
export function topologyFrom(text: string, file = "test.yaml"): Topology {
  const loaded = loadTopology(text, file);
  if (!loaded.ok) throw new Error(`${file} does not load: ${JSON.stringify(loaded.errors)}`);
  return loaded.topology;
}

/** A shipped topology, edited as a test needs. */
export function shipped(path: string, edit: (text: string) => string = (text) => text): Topology {
  return topologyFrom(edit(readFileSync(join(ROOT, path), "utf8")), path);
}

const madeDirs: string[] = [];

/** A fresh results directory for one test, removed by `MemoryLabs.closeAll`. */
export function resultsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "p2plab-memory-results-"));
  madeDirs.push(dir);
  return dir;
}

export function upOptions(overrides: Partial<UpOptions> = {}): UpOptions {
  return {
    recreate: false,
    onFailure: "leave",
    wireTimeoutMs: 10_000,
    resultsDir: resultsDir(),
    signal: new AbortController().signal,
    progress: () => {},
    ...overrides,
  };
}

/**
 * A memory runtime per test, closed after it: every process ended and every loopback port freed,
 * whatever the test left behind, and the results directories removed.
 */
export class MemoryLabs {
  private readonly runtimes: MemoryRuntime[] = [];

  /** `images` and `builds` as MemoryRuntime takes them. */
  runtime(images: Record<string, Program> = {}, builds: Record<string, Program> = {}): MemoryRuntime {
    const runtime = new MemoryRuntime(images, builds);
    this.runtimes.push(runtime);
    return runtime;
  }

  /** A wired lab of the topology on a new memory runtime. */
  async up(topology: Topology): Promise<Lab> {
    return (await up(this.runtime(), topology, upOptions())).lab;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.runtimes.splice(0).map((runtime) => runtime.close()));
    await Promise.all(madeDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Everything carrying the lab's label, as test/support/lab-cli.ts's `leftovers` asks the engine. */
export async function leftovers(runtime: MemoryRuntime, lab: string): Promise<string[]> {
  const containers = await runtime.listContainers({ "p2plab.lab": lab });
  const networks = await runtime.listNetworks({ "p2plab.lab": lab });
  return [...containers.map((c) => c.name), ...networks.map((n) => n.name)];
}
