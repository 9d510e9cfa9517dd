import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";

const LAB = new URL("../../dist/lab.js", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

export interface LabRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `lab` CLI as a user would, from the repository root. */
export function lab(args: string[], options: { env?: NodeJS.ProcessEnv; interruptAfterMs?: number } = {}): Promise<LabRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LAB, ...args], { cwd: ROOT, env: { ...process.env, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    if (options.interruptAfterMs !== undefined) setTimeout(() => child.kill("SIGINT"), options.interruptAfterMs);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `lab` and parses its --json output, failing loudly with stderr when it did not succeed. */
export async function labJson<T = unknown>(args: string[]): Promise<T> {
  const run = await lab([...args, "--json"]);
  if (run.code !== 0) throw new Error(`lab ${args.join(" ")} exited ${run.code}:\n${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

/** A copy of a shipped topology under a unique lab name, so tests never touch a user's lab. */
export async function topologyCopy(shipped: string, name: string, edit: (text: string) => string = (t) => t): Promise<string> {
  const text = await readFile(join(ROOT, shipped), "utf8");
  const renamed = text.replace(/^name: .*$/m, `name: ${name}`);
  if (renamed === text) throw new Error(`${shipped} has no top-level name line`);
  const dir = await mkdtemp(join(tmpdir(), "p2plab-test-"));
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, edit(renamed));
  return file;
}

/** Everything left on the engine with this lab's label. */
export async function leftovers(name: string): Promise<string[]> {
  const runtime = new DockerRuntime();
  const containers = await runtime.listContainers({ "p2plab.lab": name });
  const networks = await runtime.listNetworks({ "p2plab.lab": name });
  return [...containers.map((c) => c.name), ...networks.map((n) => n.name)];
}
