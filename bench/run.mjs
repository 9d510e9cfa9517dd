// `npm run bench [-- --quick | --full] [--runs N] [--sizes 4,32] [--only chain,frames]`: every
// measurement in one run, written to bench/RESULTS.md and bench/results/<date>.json (--quick: a
// 4-peer lab, for CI, and --only: printed and written to a temporary directory only). It never asserts a timing; it fails when a
// measurement fails or when anything it created is left behind on the engine.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { measureChain } from "./chain.mjs";
import { measureForwarding } from "./forwarding.mjs";
import { measureFrames } from "./frames.mjs";
import { measurePeerStart } from "./peer-start.mjs";
import { PREFIX, lab, leftovers, linkCount, machine, randomGraph, run } from "./harness.mjs";
import { measureDetection } from "./network-faults.mjs";
import { renderResults } from "./render.mjs";
import { measureUpDown } from "./up-down.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    full: { type: "boolean", default: false },
    runs: { type: "string" },
    sizes: { type: "string" },
    only: { type: "string" },
  },
});
const quick = args.quick;
const runs = Number(args.runs ?? (quick ? 1 : 3));
const sizes =
  args.sizes?.split(",").map(Number) ?? (quick ? [4] : args.full ? [4, 32, 64, 256, 512] : [4, 32, 64, 256]);
if (!Number.isInteger(runs) || runs < 1 || sizes.some((size) => !Number.isInteger(size) || size < 2)) {
  console.error("bench: --runs takes a whole number ≥ 1 and --sizes whole numbers ≥ 2, e.g. --runs 3 --sizes 4,32");
  process.exit(2);
}

const before = await leftovers();
if (before.length > 0) {
  console.error(`bench: the engine already holds what a bench run creates; remove it first:\n  ${before.join("\n  ")}`);
  process.exit(1);
}

// Every link takes a neighbour (ARP) entry at each end, in one table for the whole host: past its
// limit links fail with EHOSTUNREACH and the figures would be of a broken lab.
const neighbourLimit = Number(readFileSync("/proc/sys/net/ipv4/neigh/default/gc_thresh3", "utf8"));
const mostLinks = Math.max(...sizes.map((size) => linkCount(randomGraph(size))));
if (2 * mostLinks > neighbourLimit) {
  console.error(
    `bench: ${Math.max(...sizes)} peers make ${mostLinks} links, about ${2 * mostLinks} neighbour (ARP) entries, and this` +
      ` kernel keeps ${neighbourLimit} (net.ipv4.neigh.default.gc_thresh3); raise it first, e.g.\n` +
      `  sudo sysctl -w net.ipv4.neigh.default.gc_thresh3=8192 net.ipv4.neigh.default.gc_thresh2=4096`,
  );
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "p2plab-bench-"));
const started = new Date();
const machineInfo = await machine();
const measurements = [
  ["upDown", () => measureUpDown({ sizes, runs, dir, image: machineInfo.peerImage })],
  ["chain", () => measureChain({ size: quick ? 4 : 32, messages: quick ? 5 : 20, flood: quick ? 2000 : 50_000, dir })],
  ["forwarding", () => measureForwarding({ messages: quick ? 20_000 : 200_000, runs })],
  ["start", () => measurePeerStart({ runs: quick ? 3 : 15, image: machineInfo.peerImage })],
  ["detection", () => measureDetection({ runs, dir })],
  ["frames", () => measureFrames({ rows: quick ? 2 : 5, columns: quick ? 2 : 5, broadcasts: quick ? 2 : 5, dir })],
];
const only = args.only?.split(",");
const unknown = only?.filter((name) => !measurements.some(([known]) => known === name)) ?? [];
if (unknown.length > 0) {
  console.error(`bench: --only ${unknown.join(",")}: known are ${measurements.map(([name]) => name).join(", ")}`);
  process.exit(2);
}
const results = {};
const sectionSeconds = {};
const failures = [];
for (const [name, measure] of measurements.filter(([name]) => !only || only.includes(name))) {
  console.error(`bench: ${name}…`);
  const sectionStarted = Date.now();
  try {
    results[name] = await measure();
  } catch (error) {
    failures.push(`${name}: ${error.message}`);
  }
  sectionSeconds[name] = Math.round((Date.now() - sectionStarted) / 1000);
}
for (const row of results.upDown ?? []) if (row.failed) failures.push(`upDown, ${row.peers} peers: ${row.failed}`);

const left = await leftovers();
if (left.length > 0) {
  await removeLeftovers(left);
  const stuck = await leftovers();
  failures.push(
    `left behind on the engine:\n  ${left.join("\n  ")}\n` +
      (stuck.length === 0 ? "(now removed)" : `could not remove (restart the engine):\n  ${stuck.join("\n  ")}`),
  );
}

const report = {
  bench: "p2plab",
  date: started.toISOString(),
  command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
  seconds: Math.round((Date.now() - started.getTime()) / 1000),
  sectionSeconds,
  machine: machineInfo,
  results,
  failures,
};
const markdown = renderResults(report);
console.log(markdown);
// Only a run of every measurement replaces the committed figures.
const partial = quick || only !== undefined;
const out = partial ? dir : "bench";
mkdirSync(join(out, "results"), { recursive: true });
const json = join(out, "results", `${started.toISOString().replace(/:/g, "")}.json`);
writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
if (!partial) writeFileSync(join(out, "RESULTS.md"), markdown);
console.error(`bench: figures in ${json}${partial ? "" : " and bench/RESULTS.md"}`);
if (failures.length > 0) {
  console.error(`bench: FAILED\n${failures.join("\n")}`);
  process.exit(1);
}

/** Labs by `lab down`; the floor's containers and networks directly. */
async function removeLeftovers(found) {
  const labs = new Set(found.map((line) => line.match(/^\w+ p2plab-([^_\s]+)/)?.[1]).filter(Boolean));
  for (const name of labs) await lab("down", name, "--results", join(dir, "leftovers")).catch(() => {});
  const names = (kind) =>
    found.filter((line) => line.startsWith(`${kind} ${PREFIX}-`)).map((line) => line.split(" ")[1]);
  if (names("container").length > 0) await run("docker", ["rm", "-f", ...names("container")]).catch(() => {});
  for (const network of names("network")) await run("docker", ["network", "rm", network]).catch(() => {});
}
