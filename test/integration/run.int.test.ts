import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, lstat, mkdtemp, readdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseRunReport, type RunReport } from "../../orchestrator/src/check/run-report.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { referencePeerImage } from "../../orchestrator/src/runtime/peer-image.js";
import { compose } from "../support/compose.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, leftovers, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";

/** chain.yaml, but dave is expected to hear alice after bob died: that cannot hold. */
const wrongExpectation = (text: string): string =>
  text.replace(
    "  - expect: { delivered: anyone?, to: [], within: 2s }",
    "  - expect: { delivered: anyone?, to: [dave], within: 2s }",
  );

describe.skipIf(skipReason !== undefined)(
  `lab run on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const names: string[] = [];
    afterAll(async () => {
      for (const name of names) expect(await leftovers(name)).toEqual([]);
    });

    it("runs the chain story to a pass, with every result file", async () => {
      const name = uniqueLabName("run");
      names.push(name);
      const run = await lab(["run", await topologyCopy("topologies/chain.yaml", name), "--results", RESULTS]);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toContain("[8/8] ✓");
      const dir = /report: (\S+)\/report\.html/.exec(run.stdout)?.[1];
      expect(dir).toBeDefined();
      const summary = JSON.parse(await readFile(join(dir!, "summary.json"), "utf8")) as RunReport;
      expect(parseRunReport(summary)).toMatchObject({ ok: true, report: { version: 1 } });
      expect(summary.verdict).toBe("pass");
      expect(summary.expectations.map((e) => e.ok)).toEqual([true, true, true, true]);
      expect(summary.snapshots.map((s) => s.label)).toEqual(["before the run", "after kill bob"]);
      expect(summary.check.counts).toMatchObject({ delivered: 4, missing: 0, duplicated: 0, unreachable: 5 });
      for (const file of [
        "report.html",
        "report.md",
        "timeline.jsonl",
        "timeline.txt",
        "transcripts/alice.jsonl",
        "transcripts/dave.txt",
      ]) {
        expect(existsSync(join(dir!, file)), file).toBe(true);
      }
      expect(await leftovers(name)).toEqual([]);

      const rerender = await lab(["report", dir!]);
      expect(rerender.code, rerender.stderr).toBe(0);
    });

    for (const shipped of ["topologies/star.yaml", "topologies/ring.yaml"]) {
      it(`${shipped}'s scenario tells its story and passes`, async () => {
        const name = uniqueLabName(shipped.slice(11, 15));
        names.push(name);
        const run = await lab(["run", await topologyCopy(shipped, name), "--results", RESULTS]);
        expect(run.code, run.stderr + run.stdout).toBe(0);
        expect(run.stdout).toMatch(/PASS\n$/);
        expect(run.stdout).not.toContain("✗");
      });
    }

    it("exits 1 and says why when an expectation is wrong", async () => {
      const name = uniqueLabName("wrong");
      names.push(name);
      const run = await lab([
        "run",
        await topologyCopy("topologies/chain.yaml", name, wrongExpectation),
        "--results",
        RESULTS,
      ]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('[6/8] ✗ expect "anyone?" delivered to dave within 2s');
      expect(run.stdout).toContain('expected: "anyone?" from alice shown by dave and no one else');
      expect(run.stdout).toMatch(/seen after 2(\.\d)?s: shown by nobody \(not by dave\)/);
      expect(run.stdout).toMatch(/transcript:\n.*alice → nobody: anyone\?/);
      expect(run.stderr).toContain('step 6 failed: expect "anyone?" delivered to dave within 2s');
      expect(await leftovers(name)).toEqual([]);
    });

    it("a peer image that cannot start: a clear error, transcripts saved, nothing left", async () => {
      const name = uniqueLabName("badimg");
      names.push(name);
      // The offline base has no entrypoint: the peer's flags are not a program. An image other than
      // the reference peer's runs under an init, which starts, fails to run it, and says so.
      const base = await new DockerRuntime().chooseBaseImage();
      const run = await lab([
        "run",
        await topologyCopy("topologies/chain.yaml", name, (t) =>
          t.replace("defaults:\n", `defaults:\n  image: ${base}\n`),
        ),
        "--results",
        RESULTS,
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^lab: \w+ exited \(code 127\).* before the lab was wired$/m);
      expect(run.stderr).toMatch(
        /^last lines of \w+:\n.* \w+ ! \[FATAL tini \(\d+\)\] exec --name failed: No such file or directory$/m,
      );
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(await leftovers(name)).toEqual([]);
    });

    it("Ctrl-C during a run stops it, saves the transcripts and removes the lab", async () => {
      const name = uniqueLabName("intrun");
      names.push(name);
      // A long wait after the first expectation: the signal lands while the scenario runs, however fast the engine.
      const longWait = (text: string): string => text.replace("  - kill: bob\n", "  - wait: 5m\n  - kill: bob\n");
      const run = await lab(
        ["run", await topologyCopy("topologies/chain.yaml", name, longWait), "--results", RESULTS],
        {
          interrupt: { when: /\[2\/9\] ✓/ },
        },
      );
      expect(run.code, run.stderr).toBe(130);
      expect(run.stdout).not.toContain("[3/9]");
      expect(await leftovers(name)).toEqual([]);
      const { readdir } = await import("node:fs/promises");
      expect((await readdir(RESULTS)).some((entry) => entry.startsWith(`${name}-`))).toBe(true);
    });

    it("the compose path exits with the verdict, its results owned by the uid asked for", async () => {
      const name = uniqueLabName("cmpv");
      names.push(name);
      const topologies = await mkdtemp(join(tmpdir(), "p2plab-compose-"));
      await writeFile(
        join(topologies, "wrong.yaml"),
        wrongExpectation(await readFile(await topologyCopy("topologies/chain.yaml", name), "utf8")),
      );
      // Topologies and results of a user who is not root, as in a user's checkout.
      const owner = process.getuid!() === 0 ? 4242 : process.getuid!();
      const results = await mkdtemp(join(tmpdir(), "p2plab-compose-results-"));
      for (const dir of [topologies, results]) await chown(dir, owner, owner);
      const project = ["-p", name];
      // As the README says: `lab image`, then compose, naming no base: none is pulled (this machine reaches no registry).
      const image = await lab(["image"]);
      expect(image.code, image.stderr).toBe(0);
      expect(image.stdout).toBe(`${referencePeerImage()}\n`);
      const env = {
        P2PLAB_TOPOLOGIES: topologies,
        P2PLAB_TOPOLOGY: "topologies/wrong.yaml",
        P2PLAB_RESULTS: results,
        P2PLAB_UID: String(owner),
        P2PLAB_GID: String(owner),
        P2PLAB_DOCKER_GID: String((await stat("/var/run/docker.sock")).gid),
      };
      let orchestratorImage = "";
      try {
        const up = await compose([...project, "up", "--build", "--exit-code-from", "lab"], env);
        expect(up.code, up.output).toBe(1);
        expect(up.output).toContain("step 6 failed");
        const container = /^[0-9a-f]{64}$/m.exec((await compose([...project, "ps", "-q", "lab"], env)).output)![0];
        orchestratorImage = spawnSync("docker", ["inspect", "--format", "{{.Config.Image}}", container], {
          encoding: "utf8",
        }).stdout.trim();
      } finally {
        await compose([...project, "down", "--rmi", "local"], env);
      }
      expect(await leftovers(name)).toEqual([]);
      // The orchestrator image is the project's own (v1 names it name_lab, v2 name-lab), and went with it.
      expect(orchestratorImage).toMatch(new RegExp(`^${name}[_-]lab`));
      const images = spawnSync("docker", ["images", "--format", "{{.Repository}}"], { encoding: "utf8" }).stdout.split(
        "\n",
      );
      expect(images.filter((repository) => repository.startsWith(name))).toEqual([]);
      const written = await readdir(results, { recursive: true });
      expect(written).toContain(`${await readlink(join(results, "latest"))}/summary.json`);
      const owners = await Promise.all(
        written.map(
          async (entry) =>
            `${entry} ${(await lstat(join(results, entry))).uid}:${(await lstat(join(results, entry))).gid}`,
        ),
      );
      expect(owners).toEqual(written.map((entry) => `${entry} ${owner}:${owner}`));
    });

    it("a lab exported by lab compose and started by compose is driven by lab", async () => {
      const name = uniqueLabName("export");
      names.push(name);
      const file = join(dirname(await topologyCopy("topologies/chain.yaml", name)), "compose.yml");
      const exported = await lab(["compose", await topologyCopy("topologies/chain.yaml", name), "--out", file]);
      expect(exported.code, exported.stderr).toBe(0);
      // The images a plain compose file names must exist: lab image builds the peer image.
      const image = await lab(["image"]);
      expect(image.code, image.stderr).toBe(0);
      const up = await compose(["-f", file, "-p", name, "up", "-d"]);
      expect(up.code, up.output).toBe(0);
      try {
        let partitions: string[][] = [];
        for (let i = 0; i < 40 && partitions.length !== 1; i++) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          const status = await labJson<{ overlay: { partitions: string[][] }; peers: Array<{ neighbors: string[] }> }>([
            "status",
            name,
          ]);
          partitions = status.peers.every((p) => p.neighbors.length > 0) ? status.overlay.partitions : [];
        }
        expect(partitions).toEqual([["alice", "bob", "carol", "dave"]]);
        expect(await labJson<{ receivedBy: string[] }>(["send", "alice", "hi", "--lab", name])).toMatchObject({
          receivedBy: ["bob", "carol", "dave"],
        });
        expect((await lab(["kill", "bob", "--lab", name])).code).toBe(0);
        expect((await labJson<{ overlay: { partitions: string[][] } }>(["status", name])).overlay.partitions).toEqual([
          ["alice"],
          ["carol", "dave"],
        ]);
        const logs = await lab(["logs", "carol", "--lab", name]);
        expect(logs.stdout).toContain("carol ← bob: hi (from alice, 2 hops)");
        const down = await lab(["down", name, "--results", RESULTS]);
        expect(down.code, down.stderr).toBe(0);
      } finally {
        await compose(["-f", file, "-p", name, "down"]);
      }
      expect(await leftovers(name)).toEqual([]);
    });
  },
);
