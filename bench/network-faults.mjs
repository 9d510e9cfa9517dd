// Network faults, measured: how long a dead bridge takes to be noticed (kill, pause, partition; the
// default heartbeat 1s and timeout 3s), from `lab run topologies/paused-vs-killed.yaml`'s detection
// table, and the drop rate `lab loss` gives against the one asked (UDP datagrams counted at the
// receiver). Usage: npm run bench:network [-- RUNS]; `npm run bench` calls measureDetection.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const lab = (...args) => spawnSync(process.execPath, ["dist/lab.js", ...args], { encoding: "utf8" });
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1), n: sorted.length };
};
const copy = (dir, shipped, name) => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, readFileSync(shipped, "utf8").replace(/^name: .*$/m, `name: ${name}`));
  return file;
};

/** Detection: every end of every silenced link, by the fault that silenced it (ms, with the reasons seen). */
export function measureDetection({ runs, dir }) {
  const results = join(dir, "results");
  const detection = { kill: [], pause: [], partition: [] };
  const reasons = { kill: new Set(), pause: new Set(), partition: new Set() };
  for (let i = 0; i < runs; i++) {
    const name = `bench-detect-${i}`;
    const run = lab("run", copy(dir, "topologies/paused-vs-killed.yaml", name), "--results", results);
    if (run.status !== 0) throw new Error(`lab run paused-vs-killed failed:\n${run.stdout}\n${run.stderr}`);
    const saved = readdirSync(results).find((entry) => entry.startsWith(`${name}-`));
    const summary = JSON.parse(readFileSync(join(results, saved, "summary.json"), "utf8"));
    for (const found of summary.detections ?? []) {
      if (!(found.action in detection)) continue;
      for (const end of found.ends) {
        if (end.afterMs === undefined) continue;
        detection[found.action].push(end.afterMs);
        reasons[found.action].add(end.reason);
      }
    }
  }
  return Object.entries(detection).map(([fault, values]) => ({
    what: `detection after ${fault} (ms; ${[...reasons[fault]].join(", ")})`,
    ...stats(values),
  }));
}

/** Loss: 2000 datagrams from alice to bob with 20% of alice's packets to bob dropped, per run (%). */
export function measureLoss({ runs, dir }) {
  const PROBE = readFileSync("test/support/net-probe.cjs", "utf8");
  const docker = (...args) => spawnSync("docker", args, { encoding: "utf8" });
  const asked = 20;
  const measured = [];
  const name = "bench-loss";
  if (lab("up", copy(dir, "topologies/chain.yaml", name)).status !== 0) throw new Error("lab up chain failed");
  try {
    const container = (peer) => `p2plab-${name}_${peer}`;
    docker("exec", "-d", container("bob"), "node", "-e", PROBE, "serve");
    if (lab("loss", "alice", String(asked), "--to", "bob", "--lab", name).status !== 0)
      throw new Error("lab loss failed");
    for (let i = 0; i < runs; i++) {
      const tag = `run${i}`;
      docker("exec", container("alice"), "node", "-e", PROBE, "udp", "bob", tag, "2000");
      let received = -1;
      // The datagrams are counted once the count stops growing.
      for (let last = -2; received !== last;) {
        last = received;
        spawnSync("sleep", ["0.3"]);
        received = Number(docker("exec", container("bob"), "node", "-e", PROBE, "count", tag).stdout.trim());
      }
      measured.push(Math.round((1000 * (2000 - received)) / 2000) / 10);
    }
  } finally {
    lab("down", name, "--results", join(dir, "results"));
  }
  return { what: `loss measured, ${asked}% asked (%)`, ...stats(measured) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.argv[2] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), "p2plab-bench-network-"));
  const rows = [...measureDetection({ runs, dir }), measureLoss({ runs, dir })];
  console.log("what                                              n     min      median   max");
  for (const r of rows) {
    console.log(
      `${r.what.padEnd(49)} ${String(r.n).padEnd(5)} ${String(r.min).padStart(7)}  ${String(r.median).padStart(7)}  ${String(r.max).padStart(7)}`,
    );
  }
  console.log(JSON.stringify({ bench: "network-faults", date: new Date().toISOString(), runs, rows }));
}
