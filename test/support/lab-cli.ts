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

export interface LabOptions {
  env?: NodeJS.ProcessEnv;
  /** Sends `signal` (SIGINT by default) once, as soon as stdout or stderr matches `when`. */
  interrupt?: { when: RegExp; signal?: NodeJS.Signals };
}

/** A `lab` process still running: wait for what it prints, signal it, or wait for its end. */
export interface RunningLab {
  /** Resolves once stdout or stderr matches; rejects after `timeoutMs` with what it printed so far. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  signal(signal?: NodeJS.Signals): void;
  /** What it has printed so far. */
  printed(): { stdout: string; stderr: string };
  done: Promise<LabRun>;
}

/** Starts the built `lab` CLI as a user would, from the repository root. */
export function startLab(args: string[], options: LabOptions = {}): RunningLab {
  const child = spawn(process.execPath, [LAB, ...args], { cwd: ROOT, env: { ...process.env, ...options.env } });
  const output = { stdout: "", stderr: "" };
  const watchers = new Set<() => void>();
  const seen = (): void => watchers.forEach((check) => check());
  child.stdout.on("data", (chunk) => ((output.stdout += chunk), seen()));
  child.stderr.on("data", (chunk) => ((output.stderr += chunk), seen()));
  const done = new Promise<LabRun>((resolve) => child.on("close", (code) => resolve({ code, ...output })));
  const running: RunningLab = {
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(output.stdout) && !pattern.test(output.stderr)) return;
          settle();
          resolve();
        };
        const timer = setTimeout(() => {
          settle();
          reject(
            new Error(
              `lab ${args.join(" ")}: ${pattern} not printed within ${timeoutMs} ms; it printed:\n${output.stderr}${output.stdout}`,
            ),
          );
        }, timeoutMs);
        const settle = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        void done.then(
          () =>
            watchers.has(check) &&
            (settle(),
            reject(
              new Error(`lab ${args.join(" ")} ended before printing ${pattern}:\n${output.stderr}${output.stdout}`),
            )),
        );
        check();
      }),
    signal: (signal = "SIGINT") => child.kill(signal),
    printed: () => ({ ...output }),
    done,
  };
  if (options.interrupt) {
    const { when, signal } = options.interrupt;
    running.waitFor(when, 600_000).then(
      () => running.signal(signal),
      () => {},
    );
  }
  return running;
}

/** Runs the built `lab` CLI to its end. */
export function lab(args: string[], options: LabOptions = {}): Promise<LabRun> {
  return startLab(args, options).done;
}

/** Runs `lab` and parses its --json output, failing loudly with stderr when it did not succeed. */
export async function labJson<T = unknown>(args: string[]): Promise<T> {
  const run = await lab([...args, "--json"]);
  if (run.code !== 0) throw new Error(`lab ${args.join(" ")} exited ${run.code}:\n${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

/** A copy of a shipped topology under a unique lab name, so tests never touch a user's lab. */
export async function topologyCopy(
  shipped: string,
  name: string,
  edit: (text: string) => string = (t) => t,
): Promise<string> {
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
