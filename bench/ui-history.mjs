// `node bench/ui-history.mjs BEFORE_LAB_JS AFTER_LAB_JS [--history 20000] [--rounds 3] [--seconds 5] [--events 400]`:
// two builds of `lab ui` on one lab with a long history, interleaved (A B, B A, …). An 8-peer
// chain is first flooded with --history messages (flood.cjs: each one a line per peer), then each
// round starts each build's `lab ui` in turn (its time to print the URL: reading the history) and
// offers it --events events a second for --seconds (paced-flood.cjs) with the bench's own event
// stream as its one page: its CPU over that interval and the lag of what it sent. Prints the
// figures as markdown and writes them to bench/RESULTS-ui-history.md.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { PREFIX, chain, interleave, lab, leftovers, run, sleep, stats, writeTopology } from "./harness.mjs";
import { TICKS, flood, startUi, ticksOf } from "./ui-lab.mjs";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    history: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    events: { type: "string", default: "400" },
  },
});
const [before, after] = positionals;
const [history, rounds, seconds, events] = [args.history, args.rounds, args.seconds, args.events].map(Number);
if (!before || !after || [history, rounds, seconds, events].some((n) => !Number.isInteger(n) || n < 1)) {
  console.error(
    "bench/ui-history: give two built CLIs and whole numbers, e.g. node bench/ui-history.mjs /tmp/main/dist/lab.js dist/lab.js --rounds 3",
  );
  process.exit(2);
}
const SIZE = 8;
const FLOOD = readFileSync(new URL("./flood.cjs", import.meta.url), "utf8");
const name = `${PREFIX}-ui-history`;
const dir = mkdtempSync(join(tmpdir(), "p2plab-bench-ui-history-"));
const results = join(dir, "results");
const started = new Date();
let tagSeq = 0;

await lab("up", writeTopology(dir, name, chain(SIZE), { mode: "dedup", hopLimit: SIZE + 1 }), "--results", results);
let figures;
try {
  await run("docker", ["exec", `p2plab-${name}_p1`, "node", "-e", FLOOD, String(history)]);
  // Until the chain has forwarded the flood down to its end.
  await sleep(5000);
  const one = (cli) => async () => {
    const load = loadavg()[0];
    const opened = Date.now();
    const ui = await startUi(name, results, cli);
    const openMs = Date.now() - opened;
    try {
      const tag = `H${++tagSeq}H`;
      const cpuBefore = ticksOf([ui.pid]);
      const t0 = Date.now();
      await flood(name, events / SIZE, seconds, tag);
      await ui.counter.until(tag, (events / SIZE) * seconds * SIZE, 5000);
      const cpu = Math.round(((ticksOf([ui.pid]) - cpuBefore) / TICKS / ((Date.now() - t0) / 1000)) * 100);
      return { load, openMs, cpu, sent: ui.counter.count(tag), lag: ui.counter.lag(tag) };
    } finally {
      await ui.stop();
    }
  };
  figures = await interleave(rounds, { before: one(before), after: one(after) });
} finally {
  await lab("down", name, "--results", results);
}
const left = (await leftovers()).filter((line) => line.includes(name));

const triple = (values, unit) => {
  const figure = stats(values);
  return `${figure.min} / ${figure.median} / ${figure.max}${unit}`;
};
const markdown = [
  "# `lab ui` with a long history, two builds",
  `Measured ${started.toISOString()} with \`node bench/ui-history.mjs ${process.argv.slice(2).join(" ")}\`` +
    ` (before: ${before}, after: ${after}): an ${SIZE}-peer chain first carried ${history} messages` +
    ` (${history * SIZE} feed lines), then each round started each build's \`lab ui\` in turn and offered it` +
    ` ${events} events a second for ${seconds} s, with one page (the bench's own event stream).` +
    ` min / median / max over ${rounds} rounds, interleaved; the 1-minute load average was` +
    ` ${triple(
      Object.values(figures).flatMap((runs) => runs.map((r) => Math.round(r.load * 10) / 10)),
      "",
    )}.`,
  [
    "| build | opened (URL printed) | `lab ui` CPU under load | server's lag p50 | server's lag p99 | items sent |",
    "| --- | --- | --- | --- | --- | --- |",
    ...Object.entries(figures).map(([build, runs]) => {
      const column = (pick, unit) => triple(runs.map(pick), unit);
      const cells = [
        column((r) => r.openMs, " ms"),
        column((r) => r.cpu, "%"),
        column((r) => r.lag.p50, " ms"),
        column((r) => r.lag.p99, " ms"),
        column((r) => r.sent, ""),
      ];
      return `| ${build} | ${cells.join(" | ")} |`;
    }),
  ].join("\n"),
].join("\n\n");
console.log(markdown);
writeFileSync("bench/RESULTS-ui-history.md", markdown + "\n");
if (left.length > 0) {
  console.error(`bench/ui-history: left behind:\n  ${left.join("\n  ")}`);
  process.exit(1);
}
