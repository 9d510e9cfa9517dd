// Times `lab down` (saving the transcripts included) of a generated random lab, and fails when a
// down leaves a container or a network behind. With --compare OTHER_LAB_JS, each run brings the
// lab down once with this build and once with the other (interleaved: A, B, A, B), for a ratio.
// Usage: node bench/down.mjs [--size 64] [--runs 3] [--compare /tmp/old/dist/lab.js] [--name LAB]
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { assertNothingLeft } from "./leftovers.mjs";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "64" },
    runs: { type: "string", default: "3" },
    compare: { type: "string" },
    name: { type: "string" },
  },
});
const size = Number(values.size);
const runs = Number(values.runs);
const builds = { this: "dist/lab.js", ...(values.compare ? { other: values.compare } : {}) };

const dir = mkdtempSync(join(tmpdir(), "p2plab-bench-down-"));
const name = values.name ?? `bench-down-${size}`;
const file = join(dir, `${name}.yaml`);
writeFileSync(
  file,
  `name: ${name}\ndescription: bench\ndefaults:\n  mode: dedup\ngenerate: { shape: random, size: ${size}, degree: 3, seed: 7 }\n`,
);
const lab = (build, ...args) => spawnSync(process.execPath, [build, ...args], { encoding: "utf8" });
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

const times = Object.fromEntries(Object.keys(builds).map((key) => [key, []]));
for (let run = 0; run < runs; run++) {
  for (const [key, build] of Object.entries(builds)) {
    const up = lab("dist/lab.js", "up", file, "--json");
    if (up.status !== 0) throw new Error(`lab up of ${size} peers failed:\n${up.stderr}`);
    const started = process.hrtime.bigint();
    const down = lab(build, "down", name, "--results", join(dir, "results"));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (down.status !== 0) throw new Error(`lab down (${key}) failed:\n${down.stderr}`);
    assertNothingLeft(name);
    times[key].push(ms);
    console.log(`run ${run + 1} ${key}: ${seconds(ms)}`);
  }
}
const summary = Object.fromEntries(
  Object.entries(times).map(([key, list]) => {
    const sorted = [...list].sort((a, b) => a - b);
    return [
      key,
      {
        minMs: Math.round(sorted[0]),
        medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]),
        maxMs: Math.round(sorted.at(-1)),
      },
    ];
  }),
);
for (const [key, s] of Object.entries(summary))
  console.log(`${key}: min ${seconds(s.minMs)}  median ${seconds(s.medianMs)}  max ${seconds(s.maxMs)}`);
const ratio = values.compare ? summary.this.medianMs / summary.other.medianMs : undefined;
if (ratio !== undefined) console.log(`median ratio this/other: ${ratio.toFixed(2)}`);
console.log(
  JSON.stringify({ bench: "down", date: new Date().toISOString(), size, runs, summary, ...(ratio ? { ratio } : {}) }),
);
