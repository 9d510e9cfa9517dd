// On one chain lab (p1 … pN, dedup): memory per peer container idle, then propagation (messages
// sent from p1 with `lab send`, each hop timed from the transcripts), then memory under load (a
// flood of messages written into p1 by a fake neighbour, forwarded down the whole chain).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  PREFIX,
  anonBytes,
  chain,
  eventTime,
  lab,
  peerContainers,
  percentile,
  run,
  sleep,
  stats,
  transcriptEvents,
  writeTopology,
} from "./harness.mjs";

const MiB = 2 ** 20;
const FLOOD = readFileSync(new URL("./flood.cjs", import.meta.url), "utf8");

export async function measureChain({ size, messages, flood, dir }) {
  const name = `${PREFIX}-chain-${size}`;
  const results = join(dir, `${name}-results`);
  // A hop limit past the chain's length: the default 16 would stop every message halfway down 32 peers.
  await lab("up", writeTopology(dir, name, chain(size), { mode: "dedup", hopLimit: size + 1 }), "--results", results);
  let memory;
  const sent = [];
  try {
    const ids = await peerContainers(name);
    // Idle: wired, heartbeats only, once start-up's garbage has had a few heartbeats to be collected.
    await sleep(3000);
    const idle = await Promise.all(ids.map(anonBytes));
    for (let i = 0; i < messages; i++) {
      const { stdout } = await lab("send", "p1", `hop-${i}`, "--lab", name, "--json");
      sent.push(JSON.parse(stdout).id);
    }
    memory = { idle: idle.map((bytes) => bytes / MiB), ...(await underLoad(name, ids, flood)) };
  } finally {
    await lab("down", name, "--results", results);
  }
  return { peers: size, memory: summariseMemory(memory), propagation: perHop(transcriptEvents(results), sent) };
}

/** Per hop: each receiver's time less its predecessor's (the sender's for p2), over every message sent. */
function perHop(events, ids) {
  const hops = [];
  const endToEnd = [];
  let highResolution = true;
  for (const id of ids) {
    const times = new Map();
    for (const event of events) {
      if (event.id !== id || (event.ev !== "sent" && event.ev !== "recv")) continue;
      times.set(event.ev === "sent" ? 0 : event.hops, eventTime(event));
      highResolution &&= typeof event.tsUs === "number";
    }
    for (let hop = 1; times.has(hop); hop++) hops.push(times.get(hop) - times.get(hop - 1));
    endToEnd.push(times.get(times.size - 1) - times.get(0));
  }
  const round = (ms) => Math.round(ms * 1000) / 1000;
  return {
    messages: ids.length,
    hopsTimed: hops.length,
    clock: highResolution ? "tsUs (µs)" : "ts (whole ms)",
    perHopMs: { p50: round(percentile(hops, 0.5)), p99: round(percentile(hops, 0.99)), ...stats(hops.map(round)) },
    endToEndMs: stats(endToEnd.map(round)),
  };
}

/** The peer containers' peak anonymous memory while a flood goes down the chain, sampled every 250 ms. */
async function underLoad(name, ids, flood) {
  const peak = ids.map(() => 0);
  let flooding = true;
  const sampling = (async () => {
    // Eight more samples (2 s) once the flood is written: the chain is still forwarding it.
    for (let after = 0; after < 8; after += flooding ? 0 : 1) {
      (await Promise.all(ids.map(anonBytes))).forEach((bytes, i) => (peak[i] = Math.max(peak[i], bytes)));
      await sleep(250);
    }
  })();
  const started = Date.now();
  const { stdout } = await run("docker", ["exec", `p2plab-${name}_p1`, "node", "-e", FLOOD, String(flood)]).finally(
    () => (flooding = false),
  );
  await sampling;
  return {
    load: peak.map((bytes) => bytes / MiB),
    flood: { messages: flood, writtenMs: Date.now() - started, stdout },
  };
}

function summariseMemory({ idle, load, flood }) {
  const round = (values) => values.map((mib) => Math.round(mib * 10) / 10);
  return { idleMiB: stats(round(idle)), loadPeakMiB: stats(round(load)), flood: flood.messages };
}
