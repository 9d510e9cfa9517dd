import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { containerName, networkName } from "../../orchestrator/src/plan/labels.js";
import { referencePeerImage } from "../../orchestrator/src/runtime/peer-image.js";
import { compose } from "../support/compose.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, leftovers, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";

function docker(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync("docker", args, { encoding: "utf8" });
  return { code: run.status, stdout: run.stdout.trim(), stderr: run.stderr };
}

describe.skipIf(skipReason !== undefined)(
  `teardown on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    it("a lab exported by lab compose stops at compose's SIGTERM: the journal ends by the signal, no container is killed after the grace period", async () => {
      const name = uniqueLabName("teardown-compose");
      const topology = await topologyCopy("topologies/chain.yaml", name);
      const file = join(dirname(topology), "compose.yml");
      expect((await lab(["compose", topology, "--out", file])).code).toBe(0);
      expect((await lab(["image"])).code).toBe(0);
      const project = ["-f", file, "-p", name];
      try {
        const up = await compose([...project, "up", "-d"]);
        expect(up.code, up.output).toBe(0);
        // Killed after the grace period, a container would exit 137; 10 s is compose's default.
        const stop = await compose([...project, "stop", "--timeout", "10"]);
        expect(stop.code, stop.output).toBe(0);
        const exits = ["journal", "alice", "bob", "carol", "dave"].map(
          (member) =>
            `${member} ${docker(["inspect", "--format", "{{.State.ExitCode}}", containerName(name, member)]).stdout}`,
        );
        // cat under the init dies of the SIGTERM it forwards (128 + 15); the reference peer exits 0 on it.
        expect(exits).toEqual(["journal 143", "alice 0", "bob 0", "carol 0", "dave 0"]);
      } finally {
        await compose([...project, "down"]);
      }
      expect(await leftovers(name)).toEqual([]);
    });

    it("lab down leaves a container it did not make that is attached to the lab's network, names it, and removes the network once it is detached", async () => {
      const name = uniqueLabName("teardown-foreign");
      const stranger = `${name}-stranger`;
      expect((await lab(["up", await topologyCopy("topologies/chain.yaml", name)])).code).toBe(0);
      try {
        const run = docker(
          ["run", "-d", "--name", stranger, "--network", networkName(name), "--entrypoint", "sleep"].concat([
            referencePeerImage(),
            "600",
          ]),
        );
        expect(run.code, run.stderr).toBe(0);
        const refused = await lab(["down", name, "--results", RESULTS]);
        expect(refused.code, refused.stderr).toBe(3);
        expect(refused.stderr).toContain(
          `network ${networkName(name)} still has containers attached that lab did not make: ${stranger}`,
        );
        expect(docker(["inspect", "--format", "{{.State.Status}}", stranger]).stdout).toBe("running");
        expect(await leftovers(name)).toEqual([networkName(name)]);
        expect(docker(["network", "disconnect", networkName(name), stranger]).code).toBe(0);
        const down = await lab(["down", name, "--results", RESULTS]);
        expect(down.code, down.stderr).toBe(0);
        expect(await leftovers(name)).toEqual([]);
      } finally {
        docker(["rm", "-f", stranger]);
        await lab(["down", name, "--results", RESULTS]);
      }
    });
  },
);
