// How many messages a reference peer forwards per second on loopback: a source link floods it
// with msg frames and a sink link counts what it forwards (tree mode: each one goes on once, and
// each prints a `recv` event, read and discarded here). Also the peer's CPU time per message
// (/proc, user + sys) and its resident memory at the end. With a second bundle the two are run
// interleaved (A, B, A, B, …) and compared.
// Usage: node bench/peer-forward.mjs [RUNS] [MESSAGES] [BUNDLE [BASELINE_BUNDLE]]
//        (default 5 runs of 200000 messages, dist/peer.mjs; PEER_NODE_OPTIONS, if set, is the
//        peers' NODE_OPTIONS, e.g. the image's V8 flags)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { createInterface } from "node:readline";

const runs = Number(process.argv[2] ?? 5);
const messages = Number(process.argv[3] ?? 200_000);
const bundles = [process.argv[4] ?? "dist/peer.mjs", ...process.argv.slice(5, 6)];
const TICK_MS = 1000 / 100;

const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
};
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;

async function once(bundle) {
  const peer = spawn(
    process.execPath,
    [bundle, "--name", "fwd", "--port", "0", "--heartbeat", "30s", "--timeout", "60s"],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, NODE_OPTIONS: process.env.PEER_NODE_OPTIONS ?? "" },
    },
  );
  const events = createInterface({ input: peer.stdout });
  const waitFor = (ev) =>
    new Promise((resolve) => {
      const listener = (line) => {
        const event = JSON.parse(line);
        if (event.ev !== ev) return;
        events.off("line", listener);
        resolve(event);
      };
      events.on("line", listener);
    });
  // A link dropped (the sink too slow: slow-consumer) would leave the run waiting for ever.
  events.on("line", (line) => {
    if (line.includes('"ev":"link-down"')) throw new Error(`the peer dropped a link: ${line}`);
  });
  const { port } = await waitFor("listening");
  const open = async (name) => {
    const socket = connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.setNoDelay(true);
    const up = waitFor("link-up");
    socket.write(`${JSON.stringify({ type: "hello", name, listen: "bench:1", version: 1 })}\n`);
    await up;
    return socket;
  };
  const source = await open("source");
  const sink = await open("sink");

  // The source keeps at most WINDOW messages in flight, so the peer's queue to the sink (this
  // process, busy writing too) stays under its 1 MiB slow-consumer bound.
  const WINDOW = 5000;
  // Lines the sink received, its neighbour's hello aside (no ping comes within a run: the
  // heartbeat is 30 s); counted by newline, which no chunk boundary splits.
  let forwarded = -1;
  let wake = () => {};
  const done = new Promise((resolve) => {
    sink.on("data", (chunk) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) forwarded += 1;
      wake();
      if (forwarded >= messages) resolve(performance.now());
    });
  });

  const progress = process.env.DEBUG ? setInterval(() => console.error({ forwarded }), 1000) : undefined;
  const cpuBefore = cpuMs(peer.pid);
  const started = performance.now();
  const BATCH = 500;
  for (let sent = 0; sent < messages; sent += BATCH) {
    let chunk = "";
    for (let i = sent; i < Math.min(sent + BATCH, messages); i++) {
      chunk += `{"type":"msg","id":"source:bench:${i}","origin":"source","text":"message number ${i} of the flood","hops":1}\n`;
    }
    if (!source.write(chunk)) await new Promise((resolve) => source.once("drain", resolve));
    while (sent - forwarded > WINDOW) await new Promise((resolve) => (wake = resolve));
  }
  const finished = await done;
  clearInterval(progress);
  const cpu = cpuMs(peer.pid) - cpuBefore;
  const rss = rssMiB(peer.pid);
  source.destroy();
  sink.destroy();
  peer.kill("SIGKILL");
  await new Promise((resolve) => peer.once("exit", resolve));
  const seconds = (finished - started) / 1000;
  return { perSecond: Math.round(messages / seconds), cpuUsPerMsg: (cpu * 1000) / messages, rssMiB: rss };
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1), n: sorted.length };
};
const results = bundles.map(() => []);
for (let run = 0; run < runs; run++) {
  for (const [i, bundle] of bundles.entries()) results[i].push(await once(bundle));
}
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const summary = bundles.map((bundle, i) => ({
  bundle,
  messages,
  perSecond: stats(results[i].map((r) => r.perSecond)),
  cpuUsPerMsg: stats(results[i].map((r) => round(r.cpuUsPerMsg, 2))),
  rssMiB: stats(results[i].map((r) => round(r.rssMiB))),
}));
console.log("| bundle | what | n | min | median | max |\n| --- | --- | --- | --- | --- | --- |");
for (const s of summary) {
  for (const [what, key] of [
    ["forwarded msgs/s", "perSecond"],
    ["peer CPU µs/msg", "cpuUsPerMsg"],
    ["peer RSS at end, MiB", "rssMiB"],
  ]) {
    const v = s[key];
    console.log(`| ${s.bundle} | ${what} | ${v.n} | ${v.min} | ${v.median} | ${v.max} |`);
  }
}
if (summary.length === 2) {
  console.log(`ratio of medians, msgs/s: ${round(summary[0].perSecond.median / summary[1].perSecond.median, 2)}`);
}
console.log(JSON.stringify(summary));
