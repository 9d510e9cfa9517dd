// `node bench/ui.mjs [--quick] [--sizes 8,32] [--browsers 1,3,6] [--runs 2] [--seconds 5]
// [--streams 25,99 --stream-events 800]`: what
// `lab ui` keeps up with. For each lab size (a chain, dedup), one `lab ui` server and one headless
// Chromium; for each number of pages (in an order that rotates every round) a ramp of rates written
// into p1 by paced-flood.cjs, each message one `recv` per peer, so events/s ≈ rate × peers. Every
// page records, with a MutationObserver injected by puppeteer (the page is not changed), when each
// feed line appeared; lag = that less the peer's `ts` (one clock). Then the status path: a peer
// killed and restarted under load, timed from the CLI's answer to every page drawing the new state.
// Writes bench/RESULTS-ui.md (not with --quick) and bench/results/ui-<date>.json; never asserts a
// timing, fails when a measurement fails or something it made is left behind.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import puppeteer from "puppeteer-core";
import { PREFIX, chain, lab, leftovers, machine, sleep, writeTopology } from "./harness.mjs";
import { keptUp, lagFigures } from "./ui-figures.mjs";
import { TICKS, feedCounter, flood, startUi, ticksOf } from "./ui-lab.mjs";
import { renderUi } from "./ui-render.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    sizes: { type: "string" },
    browsers: { type: "string" },
    runs: { type: "string" },
    seconds: { type: "string" },
    events: { type: "string" },
    streams: { type: "string" },
    "stream-events": { type: "string" },
  },
});
const quick = args.quick;
const list = (text, fallback) => text?.split(",").map(Number) ?? fallback;
const sizes = list(args.sizes, quick ? [8] : [8, 32]);
const browserCounts = list(args.browsers, quick ? [1, 3] : [1, 3, 6]);
const runs = Number(args.runs ?? (quick ? 1 : 2));
const seconds = Number(args.seconds ?? (quick ? 3 : 5));
/** The ramp, in events a second offered to each page; the rate into p1 is this over the peers. */
const eventRamp = list(args.events, quick ? [100, 400] : [100, 200, 400, 800, 1600, 3200]);
/** Extra event streams (readers standing for browsers elsewhere) and the events a second offered to them. */
const streamCounts = list(args.streams, []);
const streamEvents = Number(args["stream-events"] ?? 800);
const numbers = [...sizes, ...browserCounts, runs, seconds, ...eventRamp, ...streamCounts, streamEvents];
if (numbers.some((n) => !Number.isInteger(n) || n < 1) || sizes.some((size) => size < 2)) {
  console.error(
    "bench/ui: every option takes whole numbers ≥ 1 (sizes ≥ 2), e.g. --sizes 8,32 --browsers 1,3 --runs 2",
  );
  process.exit(2);
}
const CHROMIUM = process.env.P2PLAB_CHROMIUM ?? "/usr/bin/chromium";
/** One Chromium, every page in a browser context of its own (its own renderer), none of them throttled as a background tab. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];
/** After the flood ends, how long the server's count and the pages may take to settle. */
const DRAIN_MS = 5_000;
const ours = (line) => line.includes(`${PREFIX}-ui-`);

const before = (await leftovers()).filter(ours);
if (before.length > 0) {
  console.error(
    `bench/ui: the engine already holds what this bench creates; remove it first:\n  ${before.join("\n  ")}`,
  );
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "p2plab-bench-ui-"));
const started = new Date();
const machineInfo = await machine();
const rows = [];
const statusPath = [];
const streamRows = [];
const failures = [];
let tagSeq = 0;
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  args: [...CHROMIUM_FLAGS, `--user-data-dir=${join(dir, "profile")}`],
  defaultViewport: { width: 1280, height: 720 },
});
try {
  for (const size of sizes) {
    try {
      await measureSize(size);
    } catch (error) {
      failures.push(`${size} peers: ${error.message}`);
    }
  }
} finally {
  await browser.close();
}
const left = (await leftovers()).filter(ours);
if (left.length > 0) {
  for (const size of sizes) await lab("down", labName(size), "--results", join(dir, "results")).catch(() => {});
  failures.push(`left behind on the engine:\n  ${left.join("\n  ")}`);
}

const report = {
  bench: "p2plab lab ui",
  date: started.toISOString(),
  command: `node bench/ui.mjs ${process.argv.slice(2).join(" ")}`.trim(),
  seconds: Math.round((Date.now() - started.getTime()) / 1000),
  options: { sizes, browsers: browserCounts, runs, seconds, eventRamp, streams: streamCounts, streamEvents },
  machine: machineInfo,
  rows,
  statusPath,
  streamRows,
  failures,
};
const markdown = renderUi(report);
console.log(markdown);
const out = quick ? dir : "bench";
mkdirSync(join(out, "results"), { recursive: true });
const json = join(out, "results", `ui-${started.toISOString().replace(/:/g, "")}.json`);
writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
if (!quick) writeFileSync(join(out, "RESULTS-ui.md"), markdown);
else rmSync(join(dir, "profile"), { recursive: true, force: true });
console.error(`bench/ui: figures in ${json}${quick ? "" : " and bench/RESULTS-ui.md"}`);
if (failures.length > 0) {
  console.error(`bench/ui: FAILED\n${failures.join("\n")}`);
  process.exit(1);
}

function labName(size) {
  return `${PREFIX}-ui-${size}`;
}

/** One lab of `size` peers, its `lab ui`, every page count's ramps in rotating order, then the status path. */
async function measureSize(size) {
  const name = labName(size);
  const results = join(dir, `${name}-results`);
  await lab("up", writeTopology(dir, name, chain(size), { mode: "dedup", hopLimit: size + 1 }), "--results", results);
  let ui;
  try {
    ui = await startUi(name, results);
    for (let round = 0; round < runs; round++) {
      for (let i = 0; i < browserCounts.length; i++) {
        const count = browserCounts[(round + i) % browserCounts.length];
        await withPages(ui, count, (pages) => ramp({ name, size, count, round, ui, pages }));
      }
    }
    const most = Math.max(...browserCounts);
    await withPages(ui, most, (pages) => measureStatusPath({ name, size, count: most, ui, pages }));
    for (const streams of streamCounts) {
      await withPages(ui, 1, (pages) => measureStreams({ name, size, ui, pages, streams }));
    }
  } finally {
    await ui?.stop();
    await lab("down", name, "--results", results);
  }
}

/** Rates up the ramp until the pages stop keeping up (the first rate they did not is reported too). */
async function ramp({ name, size, count, round, ui, pages }) {
  for (const events of eventRamp) {
    const rate = events / size;
    const row = await loadInterval({ name, size, count, round, ui, pages, rate });
    rows.push(row);
    console.error(
      `bench/ui: ${size} peers, ${count} pages, ${row.offeredPerSecond} events/s: ` +
        `${row.kept ? "kept up" : `fell behind (${row.why})`}, p99 ${row.lag.p99} ms, server CPU ${row.serverCpu}%`,
    );
    if (!row.kept) return;
  }
}

/** One interval: `rate` messages a second into p1 for `seconds`, what the server sent and each page showed. */
async function loadInterval({ name, size, count, round, ui, pages, rate }) {
  const tag = `L${++tagSeq}L`;
  const load = loadavg()[0];
  const cpuBefore = { server: ticksOf([ui.pid]), browser: ticksOf(chromiumPids()) };
  const t0 = Date.now();
  const statusesBefore = ui.counter.statuses();
  await flood(name, rate, seconds, tag);
  const expected = Math.round(rate * seconds) * size;
  await ui.counter.until(tag, expected, DRAIN_MS);
  const sent = ui.counter.count(tag);
  await Promise.all(pages.map((page) => waitShown(page, tag, sent, DRAIN_MS)));
  const wall = (Date.now() - t0) / 1000;
  const cpu = (pids, before) => Math.round(((ticksOf(pids) - before) / TICKS / wall) * 100);
  const serverCpu = cpu([ui.pid], cpuBefore.server);
  const browserCpu = cpu(chromiumPids(), cpuBefore.browser);
  const perPage = await Promise.all(pages.map((page) => pageFigures(page, tag)));
  const verdicts = perPage.map((figures) => keptUp({ sent, shown: figures.shown, lag: figures.lag }));
  const statuses = ui.counter.statuses() - statusesBefore;
  const worst = perPage.reduce((a, b) => ((b.lag.p99 ?? Infinity) > (a.lag.p99 ?? Infinity) ? b : a));
  return {
    tag,
    peers: size,
    pages: count,
    round,
    rate,
    load,
    offeredPerSecond: Math.round(rate * size),
    sentPerSecond: Math.round(sent / seconds),
    expected,
    sent,
    shown: perPage.map((figures) => figures.shown),
    absorbedPerSecond: Math.min(...perPage.map((figures) => figures.absorbedPerSecond)),
    lag: worst.lag,
    serverLag: ui.counter.lag(tag),
    statusEvents: statuses,
    kept: verdicts.every((verdict) => verdict.kept),
    why:
      [...new Set(verdicts.filter((verdict) => !verdict.kept).map((verdict) => verdict.why))].join("; ") || undefined,
    serverCpu,
    browserCpu,
  };
}

/** Kill and restart of the chain's last peer while loaded: from the CLI's answer to every page drawing the new state. */
async function measureStatusPath({ name, size, count, ui, pages }) {
  const peer = `p${size}`;
  const rate = eventRamp[1 % eventRamp.length] / size;
  const loading = flood(name, rate, 20, `S${++tagSeq}S`);
  try {
    for (const [action, state] of [
      ["kill", "killed"],
      ["restart", "running"],
    ]) {
      await sleep(2000);
      await Promise.all(pages.map((page) => page.evaluate(`window.__bench.states.length = 0`)));
      const asked = Date.now();
      await lab(action, peer, "--lab", name);
      const answered = Date.now();
      const shownAt = await Promise.all(pages.map((page) => stateShown(page, peer, state, 10_000)));
      statusPath.push({
        peers: size,
        pages: count,
        action,
        eventsPerSecond: Math.round(rate * size),
        load: loadavg()[0],
        answeredMs: answered - asked,
        /** From the command's start; the answer may come after the page shows it (kill's does). */
        shownMs: shownAt.map((at) => (at === undefined ? undefined : at - asked)),
      });
      console.error(
        `bench/ui: ${size} peers, ${count} pages: ${action} ${peer} answered after ${answered - asked} ms, shown after ${statusPath.at(-1).shownMs} ms`,
      );
    }
  } finally {
    await loading;
  }
}

/**
 * The server feeding many browsers: `streams` more event streams, each read whole by a plain
 * reader, beside one page, for one interval at --stream-events. Every stream must get every item.
 */
async function measureStreams({ name, size, ui, pages, streams }) {
  const readers = await Promise.all(Array.from({ length: streams }, () => feedCounter(ui.url)));
  try {
    const rate = streamEvents / size;
    const row = await loadInterval({ name, size, count: 1, round: 0, ui, pages, rate });
    const tag = row.tag;
    await Promise.all(readers.map((reader) => reader.until(tag, row.sent, DRAIN_MS)));
    const received = readers.map((reader) => reader.count(tag));
    streamRows.push({
      ...row,
      streams,
      streamsReceivedMin: Math.min(...received),
      streamsLag: readers.map((reader) => reader.lag(tag)),
    });
    console.error(
      `bench/ui: ${size} peers, 1 page + ${streams} streams, ${row.offeredPerSecond} events/s: every stream got ` +
        `${Math.min(...received)} of ${row.sent}, server CPU ${row.serverCpu}%, server's lag p99 ${row.serverLag.p99} ms`,
    );
  } finally {
    readers.forEach((reader) => reader.close());
  }
}

/** Opens `count` pages, each in a browser context of its own, waits for each one's hello, runs `work`, closes them. */
async function withPages(ui, count, work) {
  const contexts = await Promise.all(Array.from({ length: count }, () => browser.createBrowserContext()));
  try {
    const pages = await Promise.all(contexts.map((context) => context.newPage()));
    for (const page of pages) {
      await page.goto(ui.url);
      await page.waitForSelector('[data-peer="p1"][data-state="running"]', { timeout: 20_000 });
      await page.evaluate(recorder());
    }
    await work(pages);
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
  }
}

/**
 * Injected into each page: when each feed line appeared (DOM insertion, Date.now(): the machine's
 * clock, as the peers' ts) and every state the graph drew for each peer.
 */
function recorder() {
  return `(() => {
  const bench = (window.__bench = { items: [], states: [] });
  new MutationObserver((records) => {
    const at = Date.now();
    for (const record of records)
      for (const node of record.addedNodes) if (node.nodeType === 1) bench.items.push([at, node.getAttribute("data-ts"), node.textContent]);
  }).observe(document.getElementById("feed"), { childList: true });
  new MutationObserver(() => {
    const at = Date.now();
    for (const node of document.querySelectorAll("#graph [data-peer]")) bench.states.push([at, node.getAttribute("data-peer"), node.getAttribute("data-state")]);
  }).observe(document.getElementById("graph"), { childList: true, subtree: true });
})()`;
}

async function waitShown(page, tag, count, timeout) {
  const query = `window.__bench.items.reduce((n, item) => n + (item[2].includes(${JSON.stringify(`${tag} `)}) ? 1 : 0), 0) >= ${count}`;
  await page.waitForFunction(query, { timeout, polling: 250 }).catch(() => {});
}

/** The tagged items a page showed (each once), their lag, and the events a second it absorbed; forgets them. */
async function pageFigures(page, tag) {
  const items = await page.evaluate(
    `(() => { const all = window.__bench.items.splice(0); return all.filter((item) => item[2].includes(${JSON.stringify(`${tag} `)})); })()`,
  );
  const unique = new Map(items.map(([at, ts, text]) => [text, { at, ts: Date.parse(ts) }]));
  const shown = [...unique.values()];
  const lag = lagFigures(shown);
  const span = shown.length ? (Math.max(...shown.map((i) => i.at)) - Math.min(...shown.map((i) => i.ts))) / 1000 : 0;
  return { shown: shown.length, lag, absorbedPerSecond: span > 0 ? Math.round(shown.length / span) : 0 };
}

/** When the page first drew `peer` in `state` after its states were cleared, or undefined after `timeout`. */
async function stateShown(page, peer, state, timeout) {
  const query = `window.__bench.states.find((s) => s[1] === ${JSON.stringify(peer)} && s[2] === ${JSON.stringify(state)})`;
  const found = await page.waitForFunction(query, { timeout, polling: 50 }).catch(() => undefined);
  return found ? (await found.jsonValue())[0] : undefined;
}

/** The browser's process and every process under it (renderers, GPU, utility). */
function chromiumPids() {
  const root = browser.process()?.pid;
  if (!root) return [];
  const children = new Map();
  for (const entry of readdirSafe("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const pids = [];
  const visit = (pid) => (pids.push(pid), (children.get(pid) ?? []).forEach(visit));
  visit(root);
  return pids;
}

function readdirSafe(path) {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
