// bench/RESULTS.md from a bench run's figures: the machine, then one table per measurement.
export const s = (ms) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
export const x = (ratio) => (ratio === undefined ? "—" : `${ratio.toFixed(2)}×`);
export const triple = (figure, format) =>
  figure?.n ? `${format(figure.min)} / ${format(figure.median)} / ${format(figure.max)}` : "—";
const mib = (value) => `${Math.round(value * 10) / 10} MiB`;
/** min/median/max of a lab's memory in all, per peer. */
const perPeer = (figure, peers) =>
  figure?.n ? { n: figure.n, min: figure.min / peers, median: figure.median / peers, max: figure.max / peers } : figure;
export const table = (head, rows) =>
  [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");

export function renderResults({ date, command, seconds, sectionSeconds, machine: m, results: r, failures }) {
  const took = Object.entries(sectionSeconds).map(([name, sectionTook]) => `${name} ${sectionTook} s`);
  const parts = [
    "# Benchmark results",
    `Measured ${date} with \`${command}\` (${seconds} s in all: ${took.join(", ")}); written by \`bench/run.mjs\`, explained in` +
      " bench/README.md. Every figure is min / median / max over the runs; comparisons were interleaved in the same run.",
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, kernel ${m.kernel}, ${m.os}; Docker ${m.docker}` +
      ` (${m.storageDriver}, cgroup ${m.cgroup}${m.neighbourTable ? `, neighbour table ${m.neighbourTable} entries` : ""}), docker-compose ${m.compose}; Node ${m.node} on the host;` +
      ` peer image ${m.peerImage}.`,
  ];
  if (r.upDown) {
    parts.push(
      "## `lab up` to wired and `lab down`, against the floor and compose",
      "Floor: N containers of the peer image running `sleep`, on one network, created and started 8 at a time" +
        " (as lab starts its peers), removed by force 4 at a time (as lab down). Compose: `docker-compose up -d` of the" +
        " `lab compose` export until every link-up is logged, and `docker-compose down`. Ratios are each run over" +
        " the floor of its own round.",
      table(
        ["peers", "links", "runs", "", "floor", "lab", "compose", "lab ÷ floor", "compose ÷ floor"],
        r.upDown
          .filter((row) => !row.failed)
          .flatMap((row) =>
            ["up", "down"].map((what) => [
              row.peers,
              row.links,
              row.runs,
              what,
              triple(row[what].floor, s),
              triple(row[what].lab, s),
              triple(row[what].compose, s),
              triple(row.ratioToFloor[`lab${what === "up" ? "Up" : "Down"}`], x),
              triple(row.ratioToFloor[`compose${what === "up" ? "Up" : "Down"}`], x),
            ]),
          ),
      ),
      "Memory of the wired lab, per run: its peers' anonymous memory in all (cgroup rss/anon), what the machine" +
        " gave up between before `lab up` and wired (MemAvailable: the peers, their shims and the engine's growth)," +
        " and the peak resident memory of the `lab up` process.",
      table(
        ["peers", "peers in all", "per peer", "machine", "machine per peer", "`lab up` peak RSS"],
        r.upDown
          .filter((row) => !row.failed)
          .map(({ peers, memory }) => [
            peers,
            triple(memory.peersMiB, mib),
            triple(perPeer(memory.peersMiB, peers), mib),
            triple(memory.machineMiB, mib),
            triple(perPeer(memory.machineMiB, peers), mib),
            triple(memory.labUpPeakRssMiB, mib),
          ]),
      ),
    );
  }
  if (r.chain) {
    const { propagation: p, memory } = r.chain;
    const ms = (value) => `${value} ms`;
    parts.push(
      `## Propagation and memory on a ${r.chain.peers}-peer chain (dedup)`,
      `${p.messages} messages sent from p1 with \`lab send\`; each hop is a receiver's time less its predecessor's,` +
        ` from the transcripts (clock: ${p.clock}). Memory is each peer container's anonymous memory (cgroup` +
        ` rss/anon): idle once wired, and its peak while ${memory.flood} messages flood in at p1 and down the chain.`,
      table(
        ["what", "n", "min / median / max", "p50", "p99"],
        [
          ["per hop", p.perHopMs.n, triple(p.perHopMs, ms), ms(p.perHopMs.p50), ms(p.perHopMs.p99)],
          ["end to end", p.endToEndMs.n, triple(p.endToEndMs, ms), "", ""],
          ["memory per peer, idle", memory.idleMiB.n, triple(memory.idleMiB, mib), "", ""],
          ["memory per peer, peak under load", memory.loadPeakMiB.n, triple(memory.loadPeakMiB, mib), "", ""],
        ],
      ),
    );
  }
  if (r.forwarding) {
    const f = r.forwarding;
    parts.push(
      "## Forwarding on loopback",
      `One reference peer (dist/peer.cjs on the host's Node) between a fake source and sink; ${f.messages}` +
        ` messages per run, ${f.runs} runs.`,
      table(
        ["what", "min / median / max"],
        [
          ["messages forwarded per second", triple(f.perSecond, String)],
          ["peer CPU per message", triple(f.cpuMicrosPerMessage, (v) => `${v} µs`)],
          ["peer peak RSS", triple(f.peakRssMiB, (v) => `${v} MiB`)],
        ],
      ),
    );
  }
  if (r.start) {
    const st = r.start;
    parts.push(
      "## Peer start and idle memory, inside the image",
      `CPU time (user + sys) from exec to the \`listening\` line against a bare \`node -e 0\` in the same container,` +
        ` interleaved, ${st.runs} runs; the ratio is per pair.`,
      table(
        ["what", "n", "min / median / max"],
        [
          ["node -e 0", st.nodeCpuMs.n, triple(st.nodeCpuMs, (v) => `${v} ms`)],
          ["peer to listening", st.peerCpuMs.n, triple(st.peerCpuMs, (v) => `${v} ms`)],
          ["peer ÷ node", st.ratio.n, triple(st.ratio, (v) => `${v}×`)],
          ["idle anonymous memory, one peer", 1, st.idleAnonMiB === undefined ? "not read" : `${st.idleAnonMiB} MiB`],
        ],
      ),
    );
  }
  if (r.detection) {
    parts.push(
      "## Detection after kill, pause and partition",
      "From `lab run topologies/paused-vs-killed.yaml`'s detection table (heartbeat 1s, timeout 3s): every end of" +
        " every silenced link.",
      table(
        ["what", "n", "min / median / max"],
        r.detection.map((row) => [row.what, row.n, triple(row, (v) => `${v} ms`)]),
      ),
    );
  }
  if (r.frames) {
    const f = r.frames;
    parts.push(
      `## Frames per broadcast on a ${f.peers}-peer grid (${f.links} links)`,
      "Frames received (recv + dup) for each message from a corner, over all transcripts. Tree mode floods every" +
        ` cycle up to its hop limit, here ${f.treeHopLimit} (the grid's diameter); the other modes have the default 16.` +
        " hop-limit events follow the recv of the same frame, so are not added." +
        (f.modes.heal
          ? ` Heal mode's first broadcast floods and prunes the links to a tree (${f.modes.heal.firstFrames} frames);` +
            " it is sent before these and not counted."
          : ""),
      table(
        ["mode", "broadcasts", "frames", "shown (recv)", "hop-limit"],
        Object.entries(f.modes).map(([mode, m]) => [
          mode,
          m.broadcasts,
          triple(m.framesPerBroadcast, String),
          triple(m.shownPerBroadcast, String),
          triple(m.hopLimitPerBroadcast, String),
        ]),
      ),
    );
  }
  if (failures.length > 0) parts.push("## Failures", failures.map((failure) => `- ${failure}`).join("\n"));
  return parts.join("\n\n") + "\n";
}
