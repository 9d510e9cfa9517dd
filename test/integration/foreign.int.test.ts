import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../orchestrator/src/errors.js";
import { builtImageTag } from "../../orchestrator/src/runtime/built-image.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { engineOrSkipReason } from "../support/engine.js";

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
      const dir = await context({
        Dockerfile:
          'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo "cc -o chat chat.c" && echo "chat.c:3:1: error: expected \';\'" >&2 && false\n',
      });
      const build = { context: dir, dockerfile: "Dockerfile", args: {} };
      const attempt = runtime.ensureBuiltImage(build, () => {});
      await expect(attempt).rejects.toThrow(InputError);
      await expect(attempt).rejects.toMatchObject({
        message: [
          `building ${builtImageTag(build)} from ${dir} failed at Step 3/4 : RUN echo "cc -o chat chat.c" && echo "chat.c:3:1: error: expected ';'" >&2 && false:`,
          "    cc -o chat chat.c",
          "    chat.c:3:1: error: expected ';'",
          "    The command '/bin/sh -c echo \"cc -o chat chat.c\" && echo \"chat.c:3:1: error: expected ';'\" >&2 && false' returned a non-zero code: 1",
        ].join("\n"),
        exitCode: 2,
      });
    });
  },
);
