// The reference peer's start, measured inside its image: CPU time (user + sys, from the shell's
// `times`, which reads the kernel's per-child accounting) from exec to the `listening` line,
// against a bare `node -e 0` in the same container, interleaved (node, peer, node, peer, …) so
// both see the same load. Also the idle anonymous memory of one peer container (cgroup
// memory.stat `anon`). Usage: node bench/peer-start.mjs [RUNS] [IMAGE]   (default 15, p2plab/peer:0.1.0)
import { spawnSync } from "node:child_process";

const runs = Number(process.argv[2] ?? 15);
const image = process.argv[3] ?? "p2plab/peer:0.1.0";
const docker = (...args) => spawnSync("docker", args, { encoding: "utf8" });

// One container runs the whole loop. Nothing but the measured process is forked between two
// readings of \`times\` (the children's cumulative user and sys time); they are parsed afterwards.
const script = `
for i in $(seq ${runs}); do
  times >> /tmp/t; node -e 0; times >> /tmp/t
  coproc PEER { exec node /opt/p2plab/peer.mjs --name bench --port 0 --events json; }
  read -r line <&"\${PEER[0]}"; kill -9 "$PEER_PID"; wait "$PEER_PID" 2>/dev/null
  times >> /tmp/t
done
cat /tmp/t`;
const name = `peerspeed-start-${process.pid}`;
const run = docker("run", "--rm", "--name", name, "--entrypoint", "bash", image, "-c", script);
if (run.status !== 0) throw new Error(`docker run failed:\n${run.stderr}`);
const seconds = (text) => {
  const [, m, s] = /^(\d+)m([\d.]+)s$/.exec(text);
  return Number(m) * 60 + Number(s);
};
// Every second line of `times` is the children's: user and sys.
const readings = run.stdout
  .trim()
  .split("\n")
  .filter((_, i) => i % 2 === 1)
  .map((line) => line.split(" ").reduce((sum, part) => sum + seconds(part), 0) * 1000);
const samples = { node: [], peer: [] };
for (let i = 0; i + 2 < readings.length; i += 3) {
  samples.node.push(Math.round(readings[i + 1] - readings[i]));
  samples.peer.push(Math.round(readings[i + 2] - readings[i + 1]));
}
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1), n: sorted.length };
};
const node = stats(samples.node);
const peer = stats(samples.peer);

// Idle memory: one peer left running for a few seconds, its cgroup's anonymous memory read.
const idle = `peerspeed-idle-${process.pid}`;
docker("run", "-d", "--name", idle, image, "--name", "idle", "--port", "7000");
let anonMiB;
try {
  spawnSync("sleep", ["3"]);
  const stat = docker(
    "exec",
    idle,
    "sh",
    "-c",
    "cat /sys/fs/cgroup/memory.stat 2>/dev/null || cat /sys/fs/cgroup/memory/memory.stat",
  );
  const anon = /^(?:anon|total_rss) (\d+)$/m.exec(stat.stdout);
  anonMiB = anon ? Math.round((Number(anon[1]) / 1048576) * 10) / 10 : undefined;
} finally {
  docker("rm", "-f", idle);
}

console.log("| what | n | min | median | max |\n| --- | --- | --- | --- | --- |");
console.log(`| node -e 0, CPU ms | ${node.n} | ${node.min} | ${node.median} | ${node.max} |`);
console.log(`| peer to listening, CPU ms | ${peer.n} | ${peer.min} | ${peer.median} | ${peer.max} |`);
console.log(
  `ratio of medians peer/node: ${(peer.median / node.median).toFixed(2)}; idle peer anon memory: ${anonMiB} MiB`,
);
console.log(JSON.stringify({ image, node, peer, ratio: peer.median / node.median, idleAnonMiB: anonMiB }));
