import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import Docker from "dockerode";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";

/**
 * scripts/swarm-sandbox.sh for tests that need several engines in one swarm (issue 14): extra
 * dockerds in network namespaces of their own, as docker contexts p2plab-sbx-1..N.
 */

const SCRIPT = new URL("../../scripts/swarm-sandbox.sh", import.meta.url).pathname;
const run = promisify(execFile);

/** The sandbox's name for its things: namespaces, host links, contexts, run dirs, cgroups, iptables comments. */
export const SANDBOX = "p2plab-sbx";

/** The context of extra engine i (from 1). */
export function sandboxContext(i: number): string {
  return `${SANDBOX}-${i}`;
}

/** A runtime on extra engine i's socket. */
export function sandboxRuntime(i: number): DockerRuntime {
  return new DockerRuntime(new Docker({ socketPath: `/run/${sandboxContext(i)}/docker.sock` }));
}

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the script with these arguments (up N, down, status); never throws on its exit code. */
export async function swarmSandbox(...args: string[]): Promise<ScriptRun> {
  const started = performance.now();
  const done = await run("bash", [SCRIPT, ...args], { timeout: 240_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : -1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );
  return { ...done, ms: performance.now() - started };
}

/**
 * Why the sandbox cannot be made here (it needs root, for namespaces, veths and daemons), or
 * undefined. Where CI asks for Docker (P2PLAB_REQUIRE_DOCKER=1) this is a failure, not a skip.
 */
export function sandboxSkipReason(): string | undefined {
  if (process.getuid?.() === 0) return undefined;
  const reason = "the swarm sandbox needs root (network namespaces, veths, daemons)";
  if (process.env.P2PLAB_REQUIRE_DOCKER === "1") throw new Error(`${reason} — P2PLAB_REQUIRE_DOCKER=1 requires it`);
  console.warn(`skipping swarm sandbox tests: ${reason}`);
  return reason;
}

/**
 * Every trace of a sandbox on this host, in words: namespaces, links, contexts, the host's swarm,
 * daemons and their containers' processes, directories, iptables rules, cgroups. Empty: none.
 */
export async function sandboxTraces(): Promise<string[]> {
  const traces: string[] = [];
  const text = async (command: string, ...args: string[]): Promise<string> => (await run(command, args)).stdout;
  const named = (output: string): string[] => output.split("\n").filter((line) => line.includes(SANDBOX));
  for (const line of named(await text("ip", "netns", "list"))) traces.push(`netns ${line}`);
  for (const line of named(await text("ip", "-o", "link", "show"))) traces.push(`link ${line}`);
  for (const line of named(await text("docker", "context", "ls", "--format", "{{.Name}}")))
    traces.push(`context ${line}`);
  for (const chain of ["INPUT", "FORWARD"])
    for (const line of named(await text("iptables", "-S", chain))) traces.push(`iptables ${line}`);
  const swarm = (await text("docker", "info", "--format", "{{.Swarm.LocalNodeState}}")).trim();
  if (swarm !== "inactive") traces.push(`host swarm ${swarm}`);
  for (const dir of ["/run", "/var/lib"])
    for (const entry of readdirSync(dir)) if (entry.startsWith(SANDBOX)) traces.push(`${dir}/${entry}`);
  for (const controller of existsSync("/sys/fs/cgroup") ? readdirSync("/sys/fs/cgroup") : [])
    for (const entry of safeReaddir(`/sys/fs/cgroup/${controller}`))
      if (entry.startsWith(SANDBOX)) traces.push(`cgroup ${controller}/${entry}`);
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    const command = readOr(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
    if (command.includes(`/run/${SANDBOX}-`)) traces.push(`process ${pid}: ${command.slice(0, 120)}`);
  }
  return traces;
}

/** A directory's entries; none when it went away or is no directory (a process ended, a cgroup file). */
function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A file's text; empty when it went away (a process that ended while the list was read). */
function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
