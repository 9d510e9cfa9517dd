// What every measurement of `npm run bench` shares: running lab and other commands, statistics,
// interleaving, the topologies it writes, the engine, the machine's description, and the check
// that a run leaves nothing behind. Every name a bench run creates starts with PREFIX.
import { execFile } from "node:child_process";
import { cpus, release, totalmem } from "node:os";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import Docker from "dockerode";

/** Lab names, container names and network names of a bench run all start with this. */
export const PREFIX = "bench";
/** The label of the bench's own containers and networks (the sleeping floor): not p2plab.lab, which lab would read. */
export const BENCH_LABEL = "p2plab-bench.run";

export const engine = new Docker();

/** Runs a command; resolves with its output, rejects with it when it exits non-zero. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed (${error.code}):\n${stderr || stdout}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** The built CLI, as a user runs it. */
export const lab = (...args) => run(process.execPath, ["dist/lab.js", ...args]);

/** Milliseconds `work` took (wall time). */
export async function timed(work) {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** min, median and max of the values, with their count. */
export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0 };
  return { n: sorted.length, min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) };
}

/** The value below which `fraction` of the values lie (nearest rank). */
export function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/**
 * Runs each contender once per round, `rounds` times, the order rotating every round (A B C, B C
 * A, …): on a shared, noisy machine a slow minute then weighs on every contender alike.
 * `contenders` maps a name to a function returning that run's figures; returns name → list of figures.
 */
export async function interleave(rounds, contenders) {
  const names = Object.keys(contenders);
  const figures = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      figures[name].push(await contenders[name](round));
    }
  }
  return figures;
}

/**
 * Writes a topology listing its peers (so any size, 512 included: `generate` stops at 256) and
 * returns the file. `peers` is a list of [name, names it connects to].
 */
export function writeTopology(dir, name, peers, defaults) {
  const lines = [`name: ${name}`, "defaults:", ...Object.entries(defaults).map(([k, v]) => `  ${k}: ${v}`), "peers:"];
  for (const [peer, connect] of peers) lines.push(`  ${peer}: { connect: [${connect.join(", ")}] }`);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

/** p1 … pN in a line. */
export const chain = (size) => Array.from({ length: size }, (_, i) => [`p${i + 1}`, i === 0 ? [] : [`p${i}`]]);

/** A rows × columns grid: several cycles, every peer of degree 2 to 4. Peers p1 … p(rows·columns), row by row. */
export function grid(rows, columns) {
  const name = (r, c) => `p${r * columns + c + 1}`;
  const peers = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      peers.push([name(r, c), [...(c > 0 ? [name(r, c - 1)] : []), ...(r > 0 ? [name(r - 1, c)] : [])]]);
    }
  }
  return peers;
}

/**
 * A connected random graph of average degree about 3, as topologies/big.yaml's (a random tree,
 * then one more link per two peers), the same for the same size: each peer dials only earlier ones.
 */
export function randomGraph(size) {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const connect = Array.from({ length: size }, (_, i) => (i === 0 ? [] : [Math.floor(next() * i)]));
  for (let extra = 0; extra < Math.floor(size / 2); extra++) {
    const from = 1 + Math.floor(next() * (size - 1));
    const to = Math.floor(next() * from);
    if (!connect[from].includes(to)) connect[from].push(to);
  }
  return connect.map((targets, i) => [`p${i + 1}`, targets.map((t) => `p${t + 1}`)]);
}

export const linkCount = (peers) => peers.reduce((sum, [, connect]) => sum + connect.length, 0);

/** The machine the figures were measured on. */
export async function machine() {
  const out = async (command, args) => (await run(command, args).catch(() => ({ stdout: "unknown" }))).stdout.trim();
  const info = await engine.info();
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    os: info.OperatingSystem,
    docker: info.ServerVersion,
    storageDriver: info.Driver,
    cgroup: `v${info.CgroupVersion ?? 1}`,
    neighbourTable: Number(readFileSync("/proc/sys/net/ipv4/neigh/default/gc_thresh3", "utf8")),
    compose: await out("docker-compose", ["version", "--short"]),
    node: process.version,
    peerImage: (await lab("image")).stdout.trim(),
  };
}

/**
 * Every container and network this bench run may have created: named with PREFIX, or labelled by
 * it; on the default engine, or on `docker` (bench/engines.mjs checks each engine of a spread lab).
 */
export async function leftovers(docker = engine) {
  const ours = (name, labels = {}) =>
    name.replace(/^\//, "").startsWith(`p2plab-${PREFIX}-`) ||
    name.replace(/^\//, "").startsWith(`${PREFIX}-`) ||
    (labels["p2plab.lab"] ?? "").startsWith(`${PREFIX}-`) ||
    BENCH_LABEL in labels;
  const containers = (await docker.listContainers({ all: true }))
    .filter((c) => c.Names.some((name) => ours(name, c.Labels)))
    .map((c) => `container ${c.Names[0].replace(/^\//, "")} (${c.State})`);
  const networks = (await docker.listNetworks())
    .filter((n) => ours(n.Name, n.Labels ?? {}))
    .map((n) => `network ${n.Name}`);
  return [...containers, ...networks];
}

/** Returns after `ms`. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a results directory's transcripts: every event of every peer, parsed. */
export function transcriptEvents(resultsDir) {
  const saved = readdirSync(resultsDir).filter((entry) => entry !== "latest");
  if (saved.length !== 1) throw new Error(`expected one saved lab in ${resultsDir}, found ${saved.join(", ")}`);
  const dir = join(resultsDir, saved[0], "transcripts");
  return readdirSync(dir)
    .filter((file) => file.endsWith(".jsonl"))
    .flatMap((file) =>
      readFileSync(join(dir, file), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
}

/**
 * An event's time in ms: the peer's `tsUs` (the wall clock in whole µs, one clock for every
 * container on the host: peer/PROTOCOL.md §8) when it prints one, else its ISO `ts` (whole ms).
 */
export const eventTime = (event) => (typeof event.tsUs === "number" ? event.tsUs / 1000 : Date.parse(event.ts));

/** The ids of a lab's peer containers. */
export async function peerContainers(labName) {
  const containers = await engine.listContainers({ filters: { label: [`p2plab.lab=${labName}`, "p2plab.role=peer"] } });
  return containers.map((container) => container.Id);
}

/** A container's anonymous memory (its processes' heap and stacks, not the page cache), from its cgroup. */
export async function anonBytes(id) {
  const files = [
    `/sys/fs/cgroup/memory/docker/${id}/memory.stat`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.stat`,
  ];
  for (const file of files) {
    const stat = await readFile(file, "utf8").catch(() => undefined);
    const anon = stat?.match(/^(?:total_rss|anon) (\d+)$/m);
    if (anon) return Number(anon[1]);
  }
  throw new Error(`no memory.stat for container ${id} (looked in ${files.join(", ")})`);
}

/** The host's available memory in bytes (/proc/meminfo MemAvailable): what a lab takes from the machine as a whole. */
export function availableMemory() {
  return Number(/^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"))[1]) * 1024;
}
