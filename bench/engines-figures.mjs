// bench/engines.mjs's figures, pure: the clock offsets `lab up` prints and summary.json keeps,
// each figure's min / median / max for one engine and for three (with the ratio of each round's
// three over its one), and RESULTS-engines.md.
import { stats } from "./harness.mjs";
import { s, table, triple, x } from "./render.mjs";

/**
 * The offsets in `lab up`'s line `clock offsets (engine − lab): default −2.86 ms ± 3.79 ms, lab-2
 * +41.02 ms ± 0.61 ms` (runtime/clock-offset.ts formatClockOffset: a real minus sign), as engine →
 * { offsetMs, uncertaintyMs }; {} when the output has no such line (a lab on one engine).
 */
export function parseClockOffsets(output) {
  const line = /^.*clock offsets \(engine − lab\): (.*)$/m.exec(output)?.[1];
  if (line === undefined) return {};
  const offsets = {};
  for (const [, engine, sign, offset, uncertainty] of line.matchAll(/(\S+) ([+−-])([\d.]+) ms ± ([\d.]+) ms/g)) {
    offsets[engine] = { offsetMs: (sign === "+" ? 1 : -1) * Number(offset), uncertaintyMs: Number(uncertainty) };
  }
  return offsets;
}

/** summary.json's `engines` (a spread lab's) as engine → { offsetMs, uncertaintyMs }. */
export function summaryOffsets(engines = []) {
  return Object.fromEntries(
    engines.map((engine) => [engine.name, { offsetMs: engine.clockOffsetMs, uncertaintyMs: engine.uncertaintyMs }]),
  );
}

/** The engine each peer ran on, from summary.json's `engines`. */
export function enginesByPeer(engines = []) {
  return Object.fromEntries(engines.flatMap((engine) => engine.peers.map((peer) => [peer, engine.name])));
}

/**
 * Per key, min / median / max of each contender's runs ("one", "three") and of each round's
 * three ÷ one (the same minute of the machine). A run without the key (a failed one) is left out.
 */
export function compareRounds(figures, keys) {
  const values = (name, key) => (figures[name] ?? []).map((run) => run[key]).filter((v) => typeof v === "number");
  const ratios = (key) =>
    (figures.three ?? []).flatMap((run, round) => {
      const one = figures.one?.[round]?.[key];
      return typeof run[key] === "number" && typeof one === "number" && one > 0 ? [run[key] / one] : [];
    });
  return Object.fromEntries(
    keys.map((key) => [
      key,
      { one: stats(values("one", key)), three: stats(values("three", key)), ratio: stats(ratios(key)) },
    ]),
  );
}

/** Per engine, min / median / max of its measured offsets and uncertainties over every run that gave them. */
export function offsetStats(runs) {
  const byEngine = {};
  for (const offsets of runs) {
    for (const [engine, { offsetMs, uncertaintyMs }] of Object.entries(offsets)) {
      byEngine[engine] ??= { offsets: [], uncertainties: [] };
      byEngine[engine].offsets.push(offsetMs);
      byEngine[engine].uncertainties.push(uncertaintyMs);
    }
  }
  return Object.fromEntries(
    Object.entries(byEngine).map(([engine, { offsets, uncertainties }]) => [
      engine,
      { offsetMs: stats(offsets), uncertaintyMs: stats(uncertainties) },
    ]),
  );
}

const ms = (value) => `${value < 0 ? "−" : value > 0 ? "+" : ""}${Math.abs(value).toFixed(2)} ms`;
const plain = (value) => `${Math.round(value)} ms`;
const half = (value) => `${value.toFixed(2)} ms`;
const load = (value) => value.toFixed(2);
const row = (what, figure, format) => [
  what,
  triple(figure.one, format),
  triple(figure.three, format),
  triple(figure.ratio, x),
];

/** bench/RESULTS-engines.md from bench/engines.mjs's report. */
export function renderEngines({
  date,
  command,
  seconds,
  machine: m,
  engines,
  rounds,
  upDown,
  chain,
  offsets,
  load: l,
  sandboxSeconds: sandbox,
  failures,
}) {
  const parts = [
    "# One engine against three: `lab up`, `lab down` and the 64-peer chain story",
    `Measured ${date} with \`${command}\` (${seconds} s in all); written by \`bench/engines.mjs\`, explained in` +
      " bench/README.md. Every figure is min / median / max over the rounds; one engine and three alternated" +
      " (one, three; three, one; …), and a ratio is each round's three over its one.",
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, kernel ${m.kernel}, ${m.os}; Docker ${m.docker}` +
      ` (${m.storageDriver}, cgroup ${m.cgroup}); Node ${m.node}; peer image ${m.peerImage}. Three engines: ` +
      `${engines.join(", ")}, the host's and two of the swarm sandbox (scripts/swarm-sandbox.sh up 2) on the same` +
      ` machine: one kernel, one CPU budget, one clock${sandbox ? ` (sandbox up in ${sandbox.up} s with the image copied in, down in ${sandbox.down ?? "—"} s)` : ""}.` +
      ` Load average (1 min) at the start of each run: ${triple(l, load)}.`,
    "## `lab up` to wired and `lab down`",
    "A connected random graph of average degree about 3 (dedup), as bench/up-down.mjs's. *Up*: from the" +
      " command's start to its exit (it returns once every link is up); *wired*: the time `lab up` itself reports" +
      " (`wiredInMs`: from claiming the lab's name, after the swarm check, the clock offsets and the image check," +
      " to the last link up); *down*: `lab down` (transcripts saved first).",
    table(
      ["figure", "1 engine", "3 engines", "3 ÷ 1"],
      upDown.flatMap((size) =>
        size.failed
          ? [[`${size.peers} peers`, `failed: ${size.failed.split("\n")[0]}`, "", ""]]
          : [
              row(
                `up, ${size.peers} peers (${size.links} links, ${rounds} round${rounds === 1 ? "" : "s"})`,
                size.figures.upMs,
                s,
              ),
              row(`wired (lab's own), ${size.peers} peers`, size.figures.wiredInMs, s),
              row(`down, ${size.peers} peers`, size.figures.downMs, s),
            ],
      ),
    ),
    "## `lab run topologies/chain64.yaml`",
    "chain.yaml's story on 64 peers: a message down the whole line, the bridge p32 killed (on three engines, on" +
      " another engine than p31 and p33), the partition expected, then a message on each side. Wall time from the" +
      " command's start to its exit (up, the scenario, the report, down); p50 is the run's latency (summary.json).",
  ];
  if (chain.failed) parts.push(`Failed: ${chain.failed}`);
  else
    parts.push(
      table(
        ["figure", "1 engine", "3 engines", "3 ÷ 1"],
        [
          ["verdicts", chain.verdicts.one.join(", "), chain.verdicts.three.join(", "), ""],
          row("wall time", chain.figures.wallMs, s),
          row("latency p50", chain.figures.p50Ms, plain),
        ],
      ),
      `On three engines the bridge and its neighbours ran on: ${chain.bridge}.`,
    );
  parts.push(
    "## Clock offsets",
    "Each engine's clock less lab's, as `lab up` measures them (five `GET /info` round trips, the shortest one's" +
      " midpoint; ± half its round trip), over every three-engine `up` and `run`. One machine, one clock: an offset" +
      " within its uncertainty is zero, and is not corrected.",
    table(
      ["engine", "runs", "offset", "uncertainty"],
      Object.entries(offsets).map(([engine, figure]) => [
        engine,
        figure.offsetMs.n,
        triple(figure.offsetMs, ms),
        triple(figure.uncertaintyMs, half),
      ]),
    ),
  );
  if (failures.length > 0) parts.push("## Failures", failures.map((failure) => `- ${failure}`).join("\n"));
  return parts.join("\n\n") + "\n";
}
