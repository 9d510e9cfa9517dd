import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../orchestrator/src/check/run-report.js";
import { InputError } from "../../orchestrator/src/errors.js";
import { builtImageTag } from "../../orchestrator/src/runtime/built-image.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { packageRoot } from "../../orchestrator/src/paths.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, leftovers, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const runtime = new DockerRuntime();
const made: string[] = [];

/** A build context of this test's own, in a temporary directory. */
async function context(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "p2plab-foreign-"));
  made.push(dir);
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
  return dir;
}

describe.skipIf(skipReason !== undefined)(
  `foreign programs on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const images: string[] = [];
    afterAll(async () => {
      for (const image of images) spawnSync("docker", ["image", "rm", "-f", image]);
      await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
    });

    it("a build: on lab's base, with its steps as progress; built once, then reused", async () => {
      const dir = await context({
        Dockerfile: "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY hello.txt /hello.txt\n",
        "hello.txt": "hello\n",
      });
      const build = { context: dir, dockerfile: "Dockerfile", args: {} };
      const progress: string[] = [];
      const tag = await runtime.ensureBuiltImage(build, (line) => progress.push(line));
      images.push(tag);
      expect(tag).toBe(builtImageTag(build));
      expect(progress[0]).toMatch(new RegExp(`^building ${tag} from ${dir} on p2plab/node-base:`));
      expect(progress).toContain("Step 3/4 : COPY hello.txt /hello.txt");
      const again: string[] = [];
      await runtime.ensureBuiltImage(build, (line) => again.push(line));
      expect(again).toEqual([]);
    });

    it("a failing build: exit 2, quoting the failing step's output", async () => {
      // One write to stderr (which the engine colours): the order of two streams is not kept.
      const step = "RUN printf 'cc -o chat chat.c\\nchat.c:3:1: error: expected declaration\\n' >&2 && false";
      const dir = await context({ Dockerfile: `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\n${step}\n` });
      const build = { context: dir, dockerfile: "Dockerfile", args: {} };
      const attempt = runtime.ensureBuiltImage(build, () => {});
      await expect(attempt).rejects.toThrow(InputError);
      await expect(attempt).rejects.toMatchObject({
        message: [
          `building ${builtImageTag(build)} from ${dir} failed at Step 3/4 : ${step}:`,
          "    cc -o chat chat.c",
          "    chat.c:3:1: error: expected declaration",
          `    The command '/bin/sh -c ${step.slice("RUN ".length)}' returned a non-zero code: 1`,
        ].join("\n"),
        exitCode: 2,
      });
    });

    describe("the C example as a chain of four (topologies/c-chain.yaml)", () => {
      /** c-chain.yaml under a lab name of this test's own, its build context the checkout's C example. */
      const cChain = (name: string, edit: (text: string) => string = (text) => text): Promise<string> =>
        topologyCopy("topologies/c-chain.yaml", name, (text) =>
          edit(text.replace("context: ../examples/c-p2pchat", `context: ${join(packageRoot(), "examples/c-p2pchat")}`)),
        );

      it("lab run passes: built on lab's base, started in waves on the ports its ready lines announce, every expectation held", async () => {
        const name = uniqueLabName("cchain");
        const results = await context({});
        const run = await lab(["run", await cChain(name), "--results", results]);
        expect(run.code, `${run.stderr}${run.stdout}`).toBe(0);
        expect(run.stderr).toMatch(/starting bob, which waited for alice on port \d+/);
        expect(run.stderr).toMatch(/starting dave, which waited for carol on port \d+/);
        expect(run.stdout).toContain('[2/9] ✓ expect "hello" delivered to bob, carol, dave within 3s');
        expect(run.stdout).toContain("[4/9] ✓ expect alice running, bob killed, carol running, dave running within 3s");
        // It reports no links: the partition comes from the TCP tables, and so does who could receive what.
        expect(run.stdout).toContain("[5/9] ✓ expect partitions {alice} {carol, dave} within 10s");
        expect(run.stdout).toContain("checker: 3 messages; 4 delivered, 5 unreachable");
        expect(run.stdout).toMatch(/PASS\n$/);
        const dir = /report: (\S+)\/report\.html/.exec(run.stdout)![1]!;
        const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as RunReport;
        expect(Object.values(summary.linkSources ?? {}).map((source) => source.source)).toEqual([
          "tcp-table",
          "tcp-table",
          "tcp-table",
          "tcp-table",
        ]);
        expect(summary.snapshots.at(-1)?.partitions).toEqual([["alice"], ["carol", "dave"]]);
        expect(await leftovers(name)).toEqual([]);
      });

      it("a program that never prints its ready line: exit 1 naming it, its last lines and the peers it held back; nothing left", async () => {
        const name = uniqueLabName("cready");
        const file = await cChain(name, (text) =>
          // A function, not a string: `$'` in a replacement string means "what follows the match".
          text.replace("ready: '^listening on port (?<port>\\d+)$'", () => "ready: '^ready on (?<port>\\d+)$'"),
        );
        const run = await lab(["run", file, "--timeout", "15s", "--results", await context({})]);
        expect(run.code, `${run.stderr}${run.stdout}`).toBe(1);
        expect(run.stderr).toContain(
          `lab ${name} not wired after 15s:\n  alice never printed its ready line (/^ready on (?<port>\\d+)$/)\n  bob not started: it waits for alice to listen\n`,
        );
        expect(run.stderr).toMatch(
          /last lines of alice:\n {4}\d\d:\d\d:\d\d\.\d{3} {2}alice \| listening on port \d+\n/,
        );
        expect(await leftovers(name)).toEqual([]);
      });

      it("a program that exits as it starts: exit 1 with its exit code and what it printed; nothing left", async () => {
        const name = uniqueLabName("ccrash");
        // A username with ':' is refused by the program: it prints why and exits 2.
        const file = await cChain(name, (text) => text.replace('command: ["{name}",', 'command: ["{name}:admin",'));
        const run = await lab(["run", file, "--results", await context({})]);
        expect(run.code, `${run.stderr}${run.stdout}`).toBe(1);
        expect(run.stderr).toMatch(
          /alice exited \(code 2\) before the lab was wired\nlast lines of alice:\n {4}\d\d:\d\d:\d\d\.\d{3} {2}alice ! invalid username "alice:admin": 1-64 characters, no control characters or ':'\n/,
        );
        expect(await leftovers(name)).toEqual([]);
      });
    });
  },
);
