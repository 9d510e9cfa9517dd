// `node bench/up-cpu.mjs [PEERS] [ROUNDS]` (default 64, 2): whether `lab up` is bound by the
// machine's CPU. For each round, interleaved: `lab up` of a tree of PEERS dedup peers, then the
// floor of up-down.mjs (PEERS sleeping containers of the peer image created and started 8 at a
// time), each with the wall time and the CPU the whole machine spent meanwhile (/proc/stat).
// Where the wall ratio equals the CPU ratio, lab up is as slow as the extra work it makes the
// machine do. Reports only; removes what it made.
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PREFIX, lab, writeTopology } from "./harness.mjs";
import { floorDown, floorUp } from "./up-down.mjs";

const [peers, rounds] = [Number(process.argv[2] ?? 64), Number(process.argv[3] ?? 2)];
const image = (await lab("image")).stdout.trim();
const dir = mkdtempSync(join(tmpdir(), "p2plab-up-cpu-"));
const name = `${PREFIX}-cpu-${peers}`;
const file = writeTopology(
  dir,
  name,
  Array.from({ length: peers }, (_, i) => [`p${i + 1}`, i === 0 ? [] : [`p${Math.ceil(i / 2)}`]]),
  { mode: "dedup" },
);

/** CPU time the whole machine has spent busy, in seconds (USER_HZ ticks of /proc/stat's first line). */
function busySeconds() {
  const ticks = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return (ticks.reduce((sum, tick) => sum + tick, 0) - ticks[3] - ticks[4]) / 100;
}

async function measured(work) {
  const [cpu, wall] = [busySeconds(), Date.now()];
  await work();
  return { wallS: (Date.now() - wall) / 1000, cpuS: busySeconds() - cpu };
}

const rows = [];
for (let round = 0; round < rounds; round++) {
  const labUp = await measured(() => lab("up", file, "--results", dir));
  await lab("down", name, "--results", dir);
  let started;
  const floor = await measured(async () => (started = await floorUp(`${PREFIX}-cpu-floor-${round}`, peers, image)));
  await floorDown(started);
  rows.push({ round, lab: labUp, floor, wallRatio: labUp.wallS / floor.wallS, cpuRatio: labUp.cpuS / floor.cpuS });
}
const out = join(dir, "up-cpu.json");
writeFileSync(out, JSON.stringify({ peers, rows }, null, 2));
for (const { round, lab: l, floor: f, wallRatio, cpuRatio } of rows) {
  console.log(
    `round ${round}: lab up ${l.wallS.toFixed(1)} s, ${l.cpuS.toFixed(1)} CPU-s; floor ${f.wallS.toFixed(1)} s, ` +
      `${f.cpuS.toFixed(1)} CPU-s; wall ${wallRatio.toFixed(2)}×, CPU ${cpuRatio.toFixed(2)}×`,
  );
}
