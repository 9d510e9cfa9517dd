// The reference peer's start, measured inside its image: CPU time (user + sys, from the shell's
// `times`, which reads the kernel's per-child accounting) from exec to the `listening` line,
// against a bare `node -e 0` in the same container, interleaved (node, peer, node, peer, …) so
// both see the same load; and the idle anonymous memory of one peer container (cgroup memory.stat:
// `anon` under cgroup v2, `total_rss` under v1).
import { spawnSync } from "node:child_process";
import { PREFIX, stats } from "./harness.mjs";

const docker = (...args) => spawnSync("docker", args, { encoding: "utf8" });

export async function measurePeerStart({ runs, image }) {
  // One container runs the whole loop. Nothing but the measured process is forked between two
  // readings of `times` (the children's cumulative user and sys time); they are parsed afterwards.
  const script = `
for i in $(seq ${runs}); do
  times >> /tmp/t; node -e 0; times >> /tmp/t
  coproc PEER { exec node /opt/p2plab/peer.cjs --name bench --port 0 --events json; }
  read -r line <&"\${PEER[0]}"; kill -9 "$PEER_PID"; wait "$PEER_PID" 2>/dev/null
  times >> /tmp/t
done
cat /tmp/t`;
  const run = docker("run", "--rm", "--name", `${PREFIX}-start`, "--entrypoint", "bash", image, "-c", script);
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
  const node = [];
  const peer = [];
  const ratio = [];
  for (let i = 0; i + 2 < readings.length; i += 3) {
    node.push(Math.round(readings[i + 1] - readings[i]));
    peer.push(Math.round(readings[i + 2] - readings[i + 1]));
    ratio.push(Math.round((100 * peer.at(-1)) / Math.max(1, node.at(-1))) / 100);
  }
  return { runs, nodeCpuMs: stats(node), peerCpuMs: stats(peer), ratio: stats(ratio), idleAnonMiB: idleMemory(image) };
}

/** One peer left running until its memory settles (3 s), its cgroup's anonymous memory in MiB. */
function idleMemory(image) {
  const name = `${PREFIX}-idle`;
  docker("run", "-d", "--name", name, image, "--name", "idle", "--port", "7000");
  try {
    spawnSync("sleep", ["3"]);
    const stat = docker(
      "exec",
      name,
      "sh",
      "-c",
      "cat /sys/fs/cgroup/memory.stat 2>/dev/null || cat /sys/fs/cgroup/memory/memory.stat",
    );
    const anon = /^(?:anon|total_rss) (\d+)$/m.exec(stat.stdout);
    return anon ? Math.round((Number(anon[1]) / 1048576) * 10) / 10 : undefined;
  } finally {
    docker("rm", "-f", name);
  }
}
