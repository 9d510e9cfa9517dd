import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { containerName, networkName } from "../../orchestrator/src/plan/labels.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { compose } from "../support/compose.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, leftovers } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";

/** A topology file of lone peers (no links: up is done once each one listens). */
async function lonePeers(name: string, peers: string[], settings = "{}"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "p2plab-test-"));
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    [`name: ${name}`, "description: lone peers", "peers:", ...peers.map((peer) => `  ${peer}: ${settings}`), ""].join(
      "\n",
    ),
  );
  return file;
}

/** Makes an engine object with docker's own CLI, as a user (or another tool) would by hand. */
function docker(args: string[]): void {
  const made = spawnSync("docker", args, { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`docker ${args.join(" ")}: ${made.stderr}`);
}

const labels = (values: Record<string, string>): string[] =>
  Object.entries(values).flatMap(([key, value]) => ["--label", `${key}=${value}`]);

/** What docker inspect says about an engine object, by a Go template. */
function inspect(args: string[], format: string): string {
  const shown = spawnSync("docker", [...args, "--format", format], { encoding: "utf8" });
  if (shown.status !== 0) throw new Error(`docker ${args.join(" ")}: ${shown.stderr}`);
  return shown.stdout.trim();
}

/** Every file under dir, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe.skipIf(skipReason !== undefined)(
  `names and labels on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const started: string[] = [];
    afterAll(async () => {
      for (const name of started) await lab(["down", name, "--results", RESULTS]);
      for (const name of started) expect(await leftovers(name)).toEqual([]);
    });

    it("labs net (peer a-b) and net-a (peer b) come up side by side", async () => {
      const net = uniqueLabName("net");
      const netA = `${net}-a`;
      started.push(net, netA);
      const first = await lab(["up", await lonePeers(net, ["a-b"])]);
      expect(first.code, first.stderr).toBe(0);
      const second = await lab(["up", await lonePeers(netA, ["b"])]);
      expect(second.code, second.stderr).toBe(0);
      for (const name of [net, netA]) {
        const down = await lab(["down", name, "--results", RESULTS]);
        expect(down.code, down.stderr).toBe(0);
        expect(down.stdout).toContain(`lab ${name} removed: 2 containers, 1 network`);
        expect(await leftovers(name)).toEqual([]);
      }
    });

    it("the container list alone gives a lab's ids, names, labels and states as inspect does, and lab ls counts from it", async () => {
      const name = uniqueLabName("summ");
      started.push(name);
      expect((await lab(["up", await lonePeers(name, ["alice", "bob"])])).code).toBe(0);
      expect((await lab(["pause", "bob", "--lab", name])).code).toBe(0);
      const runtime = new DockerRuntime();
      const inspected = await runtime.listContainers({ "p2plab.lab": name });
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect((await runtime.listContainerSummaries({ "p2plab.lab": name })).sort(byId)).toEqual(
        inspected.map(({ id, name, labels, state }) => ({ id, name, labels, state })).sort(byId),
      );
      expect(inspected.map((c) => c.state).sort()).toEqual(["paused", "running", "running"]);
      const listed = await lab(["ls", "--json"]);
      expect(JSON.parse(listed.stdout)).toContainEqual({ name, description: "lone peers", peers: 2, running: 1 });
    });

    it("a hand-made container whose peer label is a path beside a real lab: down saves the lab's peers only and says what it refused", async () => {
      const name = uniqueLabName("evil");
      started.push(name);
      expect((await lab(["up", await lonePeers(name, ["alice"])])).code).toBe(0);
      docker([
        "create",
        ...labels({ "p2plab.lab": name, "p2plab.peer": "../../evil", "p2plab.role": "peer" }),
        await new DockerRuntime().chooseBaseImage(),
      ]);
      const root = await mkdtemp(join(tmpdir(), "p2plab-test-"));
      const down = await lab(["down", name, "--results", join(root, "results")]);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toMatch(/container \S+: label p2plab\.peer "\.\.\/\.\.\/evil" is not a peer name/);
      const files = await filesUnder(root);
      expect(files.filter((file) => !file.startsWith(`results/${name}-`))).toEqual(["results/latest"]);
      expect(files.filter((file) => file.includes("transcripts/"))).toEqual([
        expect.stringMatching(/\/transcripts\/alice\.jsonl$/),
        expect.stringMatching(/\/transcripts\/alice\.txt$/),
      ]);
      expect(await leftovers(name)).toEqual([]);
    });

    it("a hand-made lab whose topology label names a peer by a path: down saves nothing, says why, and removes it", async () => {
      const name = uniqueLabName("evil");
      started.push(name);
      const peer = "../../../evil";
      const topology = {
        name,
        description: "hand-made",
        file: "x.yaml",
        peers: [{ name: peer, connect: [], mode: "tree", heartbeat: "1s", timeout: "3s", hopLimit: 16, env: {} }],
        links: [],
        check: {},
        scenario: [],
      };
      docker([
        "network",
        "create",
        ...labels({ "p2plab.lab": name, "p2plab.topology": JSON.stringify(topology) }),
        `p2plab-${name}`,
      ]);
      docker([
        "create",
        ...labels({ "p2plab.lab": name, "p2plab.peer": peer, "p2plab.role": "peer" }),
        await new DockerRuntime().chooseBaseImage(),
      ]);
      const root = await mkdtemp(join(tmpdir(), "p2plab-test-"));
      const down = await lab(["down", name, "--results", join(root, "results")]);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stderr).toContain(
        `transcripts not saved: network p2plab-${name}: label p2plab.topology is not a topology lab up wrote: peers[0].name:`,
      );
      expect(down.stdout).toContain(`lab ${name} removed: 1 containers, 1 network`);
      expect(await filesUnder(root)).toEqual([]);
      expect(await leftovers(name)).toEqual([]);
    });

    it("an env value with $ reaches the container literally, by lab up and by lab compose + compose up alike", async () => {
      const settings = '{ env: { X: "$HOME-literal" } }';
      const upped = uniqueLabName("dollar");
      const composed = uniqueLabName("dollar");
      started.push(upped, composed);
      const up = await lab(["up", await lonePeers(upped, ["alice"], settings)]);
      expect(up.code, up.stderr).toBe(0);
      const file = join(await mkdtemp(join(tmpdir(), "p2plab-test-")), "compose.yml");
      const exported = await lab(["compose", await lonePeers(composed, ["alice"], settings), "--out", file]);
      expect(exported.code, exported.stderr).toBe(0);
      const project = ["-f", file, "-p", composed];
      try {
        const composeUp = await compose([...project, "up", "-d"]);
        expect(composeUp.code, composeUp.output).toBe(0);
        for (const name of [upped, composed]) {
          expect(
            JSON.parse(inspect(["container", "inspect", containerName(name, "alice")], "{{json .Config.Env}}")),
          ).toContain("X=$HOME-literal");
          const topology = JSON.parse(
            inspect(["network", "inspect", networkName(name)], '{{index .Labels "p2plab.topology"}}'),
          );
          expect(topology.peers[0].env).toEqual({ X: "$HOME-literal" });
        }
        for (const name of [upped, composed]) expect((await lab(["down", name, "--results", RESULTS])).code).toBe(0);
      } finally {
        await compose([...project, "down"]);
      }
    });
  },
);
