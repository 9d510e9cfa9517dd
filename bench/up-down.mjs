// `lab up` to wired and `lab down`, against the engine's floor (N containers of the peer image
// that only `sleep`, on one network, created and started 8 at a time as lab starts its peers; removed
// 4 at a time as lab down removes, then the network) and against `docker-compose up -d` of the
// `lab compose` export until every link is up (and `docker-compose down`), interleaved per size.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  BENCH_LABEL,
  PREFIX,
  anonBytes,
  availableMemory,
  engine,
  interleave,
  lab,
  linkCount,
  peerContainers,
  randomGraph,
  run,
  stats,
  timed,
  writeTopology,
} from "./harness.mjs";

/** As lab: at most this many containers created and started at once (START_CONCURRENCY in lab/up.ts). */
const FLOOR_CONCURRENCY = 8;
/** As lab: at most this many containers removed at once (REMOVE_CONCURRENCY in lab/down.ts). */
const FLOOR_REMOVE_CONCURRENCY = 4;
/**
 * Compose v1 (the `docker-compose` Debian ships) is compared up to this size: on this project's
 * machine its `up -d` of the 256-peer export had started 39 containers after 19 minutes.
 */
const COMPOSE_MAX_PEERS = 64;
const WIRED_TIMEOUT_MS = 600_000;
const MiB = 2 ** 20;

/**
 * One row per size. A size that fails (a lab not wired in time, a removal refused) is a row with
 * `failed` and no figures, its lab removed at once: the sizes before and after it keep theirs.
 */
export async function measureUpDown({ sizes, runs, dir, image }) {
  const rows = [];
  for (const size of sizes) {
    try {
      rows.push(await measureSize({ size, runs, dir, image }));
    } catch (error) {
      const labName = `${PREFIX}-lab-${size}`;
      await lab("down", labName, "--results", join(dir, "results")).catch(() => {});
      rows.push({ peers: size, runs, failed: error.message });
    }
  }
  return rows;
}

async function measureSize({ size, runs, dir, image }) {
  const peers = randomGraph(size);
  const labName = `${PREFIX}-lab-${size}`;
  const composeName = `${PREFIX}-cmp-${size}`;
  const labFile = writeTopology(dir, labName, peers, { mode: "dedup" });
  const composeFile = join(dir, `${composeName}.yml`);
  await lab("compose", writeTopology(dir, composeName, peers, { mode: "dedup" }), "-o", composeFile);
  const results = join(dir, "results");
  const links = linkCount(peers);
  const figures = await interleave(runs, {
    floor: async (round) => {
      const started = await floorUp(`${PREFIX}-floor-${size}-${round}`, size, image);
      return { upMs: started.ms, downMs: await timed(() => floorDown(started)) };
    },
    lab: async () => {
      const availableBefore = availableMemory();
      const peakRssFile = join(dir, "lab-up-peak-rss");
      const upMs = await timed(() => labUp(labFile, results, peakRssFile));
      const memory = await labMemory(labName, availableBefore, peakRssFile);
      return { upMs, downMs: await timed(() => lab("down", labName, "--results", results)), ...memory };
    },
    ...(size > COMPOSE_MAX_PEERS
      ? {}
      : {
          compose: async () => {
            const compose = (...args) => run("docker-compose", ["-f", composeFile, "-p", composeName, ...args]);
            return {
              upMs: await timed(async () => {
                await compose("up", "-d");
                await wired(composeName, links);
              }),
              downMs: await timed(() => compose("down")),
            };
          },
        }),
  });
  return { peers: size, links, runs, ...summarise(figures) };
}

/** `lab up`, its peak resident memory written to `peakRssFile` (bench/peak-rss.cjs). */
function labUp(labFile, results, peakRssFile) {
  const preload = new URL("./peak-rss.cjs", import.meta.url).pathname;
  const timeout = `${WIRED_TIMEOUT_MS / 1000}s`;
  const args = ["--require", preload, "dist/lab.js", "up", labFile, "--results", results, "--timeout", timeout];
  return run(process.execPath, args, {
    env: { ...process.env, BENCH_PEAK_RSS_FILE: peakRssFile },
  });
}

/**
 * What a wired lab costs in memory: its peers' anonymous memory (sum, MiB), what the machine as a
 * whole gave up since before `lab up` (MemAvailable: peers, shims, the engine's own growth), and
 * `lab up`'s peak resident memory.
 */
async function labMemory(labName, availableBefore, peakRssFile) {
  const peers = await Promise.all((await peerContainers(labName)).map(anonBytes));
  return {
    peersMiB: peers.reduce((sum, bytes) => sum + bytes, 0) / MiB,
    machineMiB: (availableBefore - availableMemory()) / MiB,
    labUpPeakRssMiB: Number(readFileSync(peakRssFile, "utf8")) / MiB,
  };
}

function summarise(figures) {
  // A contender not run at this size (compose past COMPOSE_MAX_PEERS) has no figures: "—" in RESULTS.md.
  const of = (name, key) => stats((figures[name] ?? []).map((figure) => figure[key]));
  const ratio = (name, key) =>
    stats((figures[name] ?? []).map((figure, round) => figure[key] / figures.floor[round][key]));
  return {
    up: { floor: of("floor", "upMs"), lab: of("lab", "upMs"), compose: of("compose", "upMs") },
    down: { floor: of("floor", "downMs"), lab: of("lab", "downMs"), compose: of("compose", "downMs") },
    memory: {
      peersMiB: of("lab", "peersMiB"),
      machineMiB: of("lab", "machineMiB"),
      labUpPeakRssMiB: of("lab", "labUpPeakRssMiB"),
    },
    // Each run against the floor of its own round: the same minute of the machine.
    ratioToFloor: {
      labUp: ratio("lab", "upMs"),
      composeUp: ratio("compose", "upMs"),
      labDown: ratio("lab", "downMs"),
      composeDown: ratio("compose", "downMs"),
    },
  };
}

/** The floor: a network and `size` sleeping containers configured as lab configures a peer. */
export async function floorUp(name, size, image) {
  const labels = { [BENCH_LABEL]: name };
  const started = process.hrtime.bigint();
  const network = await engine.createNetwork({ Name: name, Driver: "bridge", Labels: labels, CheckDuplicate: true });
  const queue = Array.from({ length: size }, (_, i) => `p${i + 1}`);
  const ids = [];
  const worker = async () => {
    for (let peer = queue.shift(); peer; peer = queue.shift()) {
      const container = await engine.createContainer({
        name: `${name}_${peer}`,
        Image: image,
        Entrypoint: ["sleep"],
        Cmd: ["infinity"],
        Labels: labels,
        Hostname: peer,
        OpenStdin: true,
        StdinOnce: false,
        Tty: false,
        HostConfig: {
          NetworkMode: name,
          Memory: 256 * 2 ** 20,
          MemorySwap: 256 * 2 ** 20,
          PidsLimit: 256,
          LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
        },
        NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: [peer] } } },
      });
      ids.push(container.id);
      await container.start();
    }
  };
  await Promise.all(Array.from({ length: FLOOR_CONCURRENCY }, worker));
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, ids, network: network.id };
}

export async function floorDown({ ids, network }) {
  // Four at a time, as lab down removes: `docker rm -f` of 512 (50 at once) left the engine
  // counting an endpoint on a network with none until it restarted (moby#42119).
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) await engine.getContainer(id).remove({ force: true });
  };
  await Promise.all(Array.from({ length: FLOOR_REMOVE_CONCURRENCY }, worker));
  await engine.getNetwork(network).remove();
}

/** Resolves once the compose lab's peers have printed `link-up` for both ends of every link (their logs, followed). */
async function wired(labName, links) {
  const containers = await engine.listContainers({
    filters: { label: [`p2plab.lab=${labName}`, "p2plab.role=peer"] },
  });
  let seen = 0;
  const streams = [];
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${labName}: ${seen} of ${2 * links} link-up lines after ${WIRED_TIMEOUT_MS} ms`)),
      WIRED_TIMEOUT_MS,
    );
    for (const { Id } of containers) {
      engine
        .getContainer(Id)
        .logs({ follow: true, stdout: true, stderr: false })
        .then((stream) => {
          streams.push(stream);
          // Counted in whole lines: a chunk may end inside one.
          let partial = "";
          stream.on("data", (chunk) => {
            const lines = (partial + chunk.toString("latin1")).split("\n");
            partial = lines.pop();
            seen += lines.filter((line) => line.includes('"ev":"link-up"')).length;
            if (seen < 2 * links) return;
            clearTimeout(timer);
            resolve();
          });
        }, reject);
    }
  });
  try {
    await done;
  } finally {
    for (const stream of streams) stream.destroy();
  }
}
