// `node bench/engines.mjs [--rounds N] [--sizes 16,64]` (as root; not part of `npm run bench`): a
// lab on one engine against the same lab on three, on this machine. It brings up the swarm sandbox
// itself (scripts/swarm-sandbox.sh up 2, the peer image copied in) and takes it down at the end,
// and refuses to start while a sandbox is up: one it did not make is someone else's. Rounds
// alternate one engine and three: `lab up` of an N-peer lab to wired and `lab down`, then `lab run
// topologies/chain64.yaml` (the kill-the-bridge story on 64 peers). Writes bench/RESULTS-engines.md
// and bench/results/engines-<date>.json; never asserts a timing, fails when a measurement fails or
// something it made is left on any engine.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import {
  compareRounds,
  enginesByPeer,
  offsetStats,
  parseClockOffsets,
  renderEngines,
  summaryOffsets,
} from "./engines-figures.mjs";
import {
  PREFIX,
  engine,
  interleave,
  leftovers,
  linkCount,
  machine,
  randomGraph,
  stats,
  timed,
  writeTopology,
} from "./harness.mjs";

const { values: args } = parseArgs({ options: { rounds: { type: "string" }, sizes: { type: "string" } } });
const rounds = Number(args.rounds ?? 3);
const sizes = args.sizes?.split(",").map(Number) ?? [16, 64];
if (
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  sizes.some((size) => !Number.isInteger(size) || size < 2 || size > 256)
) {
  console.error(
    "bench/engines: --rounds takes a whole number ≥ 1 and --sizes whole numbers from 2 to 256, e.g. --rounds 3 --sizes 16,64",
  );
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error(
    "bench/engines: must run as root: the swarm sandbox makes network namespaces, veths and daemons (sudo node bench/engines.mjs)",
  );
  process.exit(3);
}

const SANDBOX_SCRIPT = "scripts/swarm-sandbox.sh";
const EXTRA_ENGINES = 2;
const ENGINES = ["default", ...Array.from({ length: EXTRA_ENGINES }, (_, i) => `p2plab-sbx-${i + 1}`)];
/** Each engine's API, to check it for leftovers: the host's, and each sandbox engine's socket (scripts/swarm-sandbox.sh). */
const dockers = {
  default: engine,
  ...Object.fromEntries(ENGINES.slice(1).map((name) => [name, new Docker({ socketPath: `/run/${name}/docker.sock` })])),
};
const CHAIN_FILE = "topologies/chain64.yaml";
const WIRE_TIMEOUT = "600s";
/** lab without P2PLAB_ENGINES from the caller's environment: one engine means no engines named at all. */
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "P2PLAB_ENGINES"));

const status = await sandbox("status");
if (!status.stdout.startsWith("no sandbox engines")) {
  console.error(
    `bench/engines: a swarm sandbox is up already, and this bench makes and removes its own; if it is yours, take it down first (bash ${SANDBOX_SCRIPT} down):\n${status.stdout}`,
  );
  process.exit(1);
}
/** What this bench makes: `bench-eng-…` labs (other benches' `bench-…` may be running meanwhile). */
const ours = (line) => line.includes(`${PREFIX}-eng-`);
const before = (await leftovers()).filter(ours);
if (before.length > 0) {
  console.error(
    `bench/engines: the engine already holds what a bench run creates; remove it first:\n  ${before.join("\n  ")}`,
  );
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "p2plab-bench-engines-"));
const results = join(dir, "results");
const started = new Date();
const machineInfo = await machine();
const failures = [];
const loads = [];
const upDown = [];
let chain = { failed: "not run" };
let sandboxSeconds;

// The sandbox goes whatever happens: `down` also clears a failed `up`, and any sandbox here now is this run's.
try {
  const sandboxUp = await sandbox("up", String(EXTRA_ENGINES), "--with-image", machineInfo.peerImage);
  if (sandboxUp.code !== 0)
    throw new Error(`${SANDBOX_SCRIPT} up ${EXTRA_ENGINES} exited ${sandboxUp.code}:\n${sandboxUp.stderr}`);
  sandboxSeconds = { up: Math.round(sandboxUp.ms / 100) / 10 };
  for (const size of sizes) {
    console.error(`bench/engines: up and down, ${size} peers…`);
    upDown.push(await measureUpDown(size));
  }
  console.error("bench/engines: lab run topologies/chain64.yaml…");
  chain = await measureChain();
} catch (error) {
  failures.push(error.message);
} finally {
  if (sandboxSeconds) await checkLeftovers();
  const sandboxDown = await sandbox("down");
  if (sandboxDown.code !== 0)
    failures.push(`${SANDBOX_SCRIPT} down exited ${sandboxDown.code}:\n${sandboxDown.stderr}`);
  else if (sandboxSeconds) sandboxSeconds.down = Math.round(sandboxDown.ms / 100) / 10;
}

const allOffsets = [...upDown.flatMap((size) => size.offsets ?? []), ...(chain.offsets ?? [])];
const report = {
  bench: "p2plab engines",
  date: started.toISOString(),
  command: `node bench/engines.mjs ${process.argv.slice(2).join(" ")}`.trim(),
  seconds: Math.round((Date.now() - started.getTime()) / 1000),
  machine: machineInfo,
  engines: ENGINES,
  rounds,
  sandboxSeconds,
  load: stats(loads),
  upDown,
  chain,
  offsets: offsetStats(allOffsets),
  failures,
};
const markdown = renderEngines(report);
console.log(markdown);
mkdirSync("bench/results", { recursive: true });
const json = join("bench/results", `engines-${started.toISOString().replace(/:/g, "")}.json`);
writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
writeFileSync("bench/RESULTS-engines.md", markdown);
console.error(`bench/engines: figures in ${json} and bench/RESULTS-engines.md`);
if (failures.length > 0) {
  console.error(`bench/engines: FAILED\n${failures.join("\n")}`);
  process.exit(1);
}

/** The sandbox script; never throws on its exit code. */
async function sandbox(...words) {
  const begun = performance.now();
  const done = await attempt("bash", [SANDBOX_SCRIPT, ...words]);
  return { ...done, ms: performance.now() - begun };
}

/** A command's exit code and output, whatever the code. */
function attempt(command, words) {
  return new Promise((resolve) => {
    execFile(command, words, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** The CLI on one engine (no engines named) or on the three. */
function labAt(engines, ...words) {
  const named = engines === "three" ? ["--engines", ENGINES.join(",")] : [];
  return attempt(process.execPath, ["dist/lab.js", ...words, ...named]);
}

/** `lab up` to wired then `lab down` of a `size`-peer random graph, one engine and three alternating. */
async function measureUpDown(size) {
  const peers = randomGraph(size);
  const files = Object.fromEntries(
    ["one", "three"].map((engines) => {
      const name = `${PREFIX}-eng-${size}-${engines}`;
      return [engines, { name, file: writeTopology(dir, name, peers, { mode: "dedup" }) }];
    }),
  );
  const once = (engines) => async () => {
    const { name, file } = files[engines];
    loads.push(loadavg()[0]);
    const begun = performance.now();
    const up = await labAt(engines, "up", file, "--results", results, "--timeout", WIRE_TIMEOUT, "--json");
    const upMs = performance.now() - begun;
    if (up.code !== 0) {
      await labAt(engines, "down", name, "--results", results);
      throw new Error(`lab up ${name} on ${engines} exited ${up.code}:\n${up.stderr}`);
    }
    const downMs = await timed(async () => {
      const down = await labAt(engines, "down", name, "--results", results);
      if (down.code !== 0) throw new Error(`lab down ${name} exited ${down.code}:\n${down.stderr}`);
    });
    return {
      upMs,
      wiredInMs: JSON.parse(up.stdout).wiredInMs,
      downMs,
      offsets: parseClockOffsets(up.stderr),
      // The sandbox's engines got the image at `up --with-image`: a run that shipped it was not timed as others were.
      shippedImage: /shipped/.test(up.stderr),
    };
  };
  try {
    const figures = await interleave(rounds, { one: once("one"), three: once("three") });
    for (const run of Object.values(figures).flat())
      if (run.shippedImage)
        failures.push(`${size} peers: an up shipped the peer image, its time is not like the others'`);
    return {
      peers: size,
      links: linkCount(peers),
      figures: compareRounds(figures, ["upMs", "wiredInMs", "downMs"]),
      offsets: figures.three.map((run) => run.offsets),
      runs: figures,
    };
  } catch (error) {
    failures.push(`up and down, ${size} peers: ${error.message}`);
    return { peers: size, failed: error.message };
  }
}

/** `lab run` of chain64.yaml (renamed into the bench's names), one engine and three alternating. */
async function measureChain() {
  const text = readFileSync(CHAIN_FILE, "utf8");
  const once = (engines) => async () => {
    const name = `${PREFIX}-eng-chain64-${engines}`;
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, text.replace(/^name: chain64$/m, `name: ${name}`));
    loads.push(loadavg()[0]);
    const begun = performance.now();
    const ran = await labAt(engines, "run", file, "--results", results, "--timeout", WIRE_TIMEOUT);
    const wallMs = performance.now() - begun;
    const reportDir = /report: (\S+)\/report\.html/.exec(ran.stdout)?.[1];
    if (!reportDir) throw new Error(`lab run ${name} on ${engines} exited ${ran.code} with no report:\n${ran.stderr}`);
    const summary = JSON.parse(readFileSync(join(reportDir, "summary.json"), "utf8"));
    if (summary.verdict !== "pass") failures.push(`chain64 on ${engines}: verdict ${summary.verdict} (${reportDir})`);
    return {
      verdict: summary.verdict,
      exitCode: ran.code,
      wallMs,
      p50Ms: summary.latency.p50Ms,
      offsets: summaryOffsets(summary.engines),
      bridge: enginesByPeer(summary.engines),
      report: reportDir,
    };
  };
  try {
    const figures = await interleave(rounds, { one: once("one"), three: once("three") });
    const placed = figures.three[0].bridge;
    const bridge = ["p31", "p32", "p33"].map((peer) => `${peer} on ${placed[peer]}`).join(", ");
    if (new Set(["p31", "p32", "p33"].map((peer) => placed[peer])).size !== 3)
      failures.push(`chain64 on three engines: the bridge shares an engine with a neighbour (${bridge})`);
    return {
      verdicts: { one: figures.one.map((r) => r.verdict), three: figures.three.map((r) => r.verdict) },
      figures: compareRounds(figures, ["wallMs", "p50Ms"]),
      bridge,
      offsets: figures.three.map((run) => run.offsets),
      runs: Object.fromEntries(
        Object.entries(figures).map(([engines, runs]) => [engines, runs.map(({ bridge: _, ...run }) => run)]),
      ),
    };
  } catch (error) {
    failures.push(`chain64: ${error.message}`);
    return { failed: error.message };
  }
}

/**
 * What the bench made, on every engine: each lab found is taken down (spread over the three, so
 * every engine's part goes), then each engine is checked again; anything left is a failure.
 */
async function checkLeftovers() {
  const found = async () =>
    (
      await Promise.all(
        ENGINES.map(async (name) => (await leftovers(dockers[name])).filter(ours).map((item) => `${name}: ${item}`)),
      )
    ).flat();
  const left = await found().catch((error) => [`could not list: ${error.message}`]);
  if (left.length === 0) return;
  const labs = new Set(
    left.map((line) => / (?:container|network) p2plab-(bench-[a-z0-9-]+)/.exec(line)?.[1]).filter(Boolean),
  );
  for (const name of labs) await labAt("three", "down", name, "--results", join(dir, "leftovers"));
  const stuck = await found().catch((error) => [`could not list: ${error.message}`]);
  failures.push(
    `left behind:\n  ${left.join("\n  ")}\n` +
      (stuck.length === 0 ? "(now removed)" : `could not remove:\n  ${stuck.join("\n  ")}`),
  );
}
