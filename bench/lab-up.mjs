// Times `lab up` from command to wired, image already built, for the shipped chain and the
// 32-peer lab, then brings each lab down. Usage: npm run bench [-- RUNS]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runs = Number(process.argv[2] ?? 3);
const lab = (...args) => spawnSync(process.execPath, ["dist/lab.js", ...args], { encoding: "utf8" });

const dir = mkdtempSync(join(tmpdir(), "p2plab-bench-"));
const rows = [];
for (const shipped of ["topologies/chain.yaml", "topologies/big.yaml"]) {
  const name = `bench-${shipped.split("/")[1].replace(".yaml", "")}`;
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, readFileSync(shipped, "utf8").replace(/^name: .*$/m, `name: ${name}`));
  const times = [];
  // Run 0 is a warm-up (it builds the image when missing) and is not timed.
  for (let i = -1; i < runs; i++) {
    const started = process.hrtime.bigint();
    const up = lab("up", file, "--json");
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (up.status !== 0) throw new Error(`lab up ${shipped} failed:\n${up.stderr}`);
    if (i >= 0) times.push(ms);
    lab("down", name, "--results", join(dir, "results"));
  }
  times.sort((a, b) => a - b);
  rows.push({
    topology: shipped,
    peers: JSON.parse(readFileSync(file, "utf8").match(/size: (\d+)/)?.[1] ?? "4"),
    runs,
    minMs: Math.round(times[0]),
    medianMs: Math.round(times[Math.floor(times.length / 2)]),
    maxMs: Math.round(times.at(-1)),
  });
}
console.log("topology                 peers  runs  min      median   max");
for (const r of rows) {
  console.log(
    `${r.topology.padEnd(24)} ${String(r.peers).padEnd(6)} ${String(r.runs).padEnd(5)} ${(r.minMs / 1000).toFixed(1).padStart(5)} s  ${(r.medianMs / 1000).toFixed(1).padStart(5)} s  ${(r.maxMs / 1000).toFixed(1).padStart(5)} s`,
  );
}
console.log(JSON.stringify({ bench: "lab-up", date: new Date().toISOString(), rows }));
