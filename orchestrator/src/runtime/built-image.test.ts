import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeEngine, FakeStandIn } from "../../../test/support/image-engine.js";
import { InputError } from "../errors.js";
import { MAX_CONTEXT_FILES, builtImageTag, contextFiles, ensureBuiltImage } from "./built-image.js";
import { OFFICIAL_BASE_IMAGE, STAND_IN_BASE_IMAGE } from "./peer-image.js";
import type { BuildContext } from "./runtime.js";

const WITH_BASE = "ARG BASE_IMAGE=node:22-bookworm-slim\nFROM ${BASE_IMAGE}\nCOPY . /src\n";

describe("a built image's tag", () => {
  const build: BuildContext = { context: "/home/ann/My Chat", dockerfile: "Dockerfile", args: {} };

  it("names the context's directory, and stays the same for the same recipe", () => {
    expect(builtImageTag(build)).toMatch(/^p2plab\/build-my-chat:[0-9a-f]{12}$/);
    expect(builtImageTag({ ...build })).toBe(builtImageTag(build));
  });

  it("differs by context, Dockerfile and arguments: each recipe keeps its own image", () => {
    const tags = new Set([
      builtImageTag(build),
      builtImageTag({ ...build, context: "/home/bob/My Chat" }),
      builtImageTag({ ...build, dockerfile: "Dockerfile.debug" }),
      builtImageTag({ ...build, args: { DEBUG: "1" } }),
    ]);
    expect(tags.size).toBe(4);
  });
});

describe("building a topology's image", () => {
  let engine: FakeEngine;
  let context: string;
  let progress: string[];
  let build: BuildContext;
  const ensure = (over: Partial<BuildContext> = {}) =>
    ensureBuiltImage(
      engine,
      { ...build, ...over },
      {
        standIn: new FakeStandIn(engine),
        progress: (line) => progress.push(line),
      },
    );

  beforeEach(async () => {
    engine = new FakeEngine();
    progress = [];
    context = await mkdtemp(join(tmpdir(), "p2plab-context-"));
    await writeFile(join(context, "Dockerfile"), WITH_BASE);
    await mkdir(join(context, "src"));
    await writeFile(join(context, "src/chat.c"), "int main(void) { return 0; }\n");
    build = { context, dockerfile: "Dockerfile", args: {} };
  });

  afterEach(() => rm(context, { recursive: true, force: true }));

  it("builds the whole context once on lab's base, then reuses it; a changed file rebuilds it and removes the old one", async () => {
    engine.add(STAND_IN_BASE_IMAGE);
    const tag = await ensure();
    expect(tag).toBe(builtImageTag(build));
    expect(engine.builds).toEqual([
      expect.objectContaining({
        tag,
        root: context,
        files: ["Dockerfile", "src/chat.c"],
        dockerfile: "Dockerfile",
        buildArgs: { BASE_IMAGE: STAND_IN_BASE_IMAGE },
      }),
    ]);
    expect(progress).toEqual([`building ${tag} from ${context} on ${STAND_IN_BASE_IMAGE}`]);
    await ensure();
    expect(engine.builds).toHaveLength(1);

    const first = engine.images.get(tag)!;
    await writeFile(join(context, "src/chat.c"), "int main(void) { return 1; }\n");
    await ensure();
    expect(engine.builds).toHaveLength(2);
    expect(engine.removed).toEqual([first.id]);
  });

  it("chooses no base for a Dockerfile that takes none, and passes the topology's own arguments, BASE_IMAGE included", async () => {
    await writeFile(join(context, "Dockerfile"), "FROM debian:bookworm\n");
    await ensure({ args: { DEBUG: "1" } });
    await writeFile(join(context, "Dockerfile"), WITH_BASE);
    await ensure({ args: { BASE_IMAGE: "my/base:1" } });
    expect(engine.builds.map((b) => b.buildArgs)).toEqual([{ DEBUG: "1" }, { BASE_IMAGE: "my/base:1" }]);
    expect(engine.calls.filter((call) => call.startsWith("pull"))).toEqual([]);
    expect(engine.images.has(OFFICIAL_BASE_IMAGE)).toBe(false);
  });

  it("a failed build is the input's to fix (exit 2), quoting the failing step", async () => {
    engine.add(STAND_IN_BASE_IMAGE);
    engine.buildImage = async () => ({
      step: "Step 5/9 : RUN make",
      output: ["p2pchat.c:12:5: error: unused variable 'x' [-Werror=unused-variable]"],
      error: "The command '/bin/sh -c make' returned a non-zero code: 2",
    });
    const attempt = ensure();
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toMatchObject({
      message: [
        `building ${builtImageTag(build)} from ${context} failed at Step 5/9 : RUN make:`,
        "    p2pchat.c:12:5: error: unused variable 'x' [-Werror=unused-variable]",
        "    The command '/bin/sh -c make' returned a non-zero code: 2",
      ].join("\n"),
      exitCode: 2,
    });
  });

  it("sends what docker build sends: all but what .dockerignore excludes, the Dockerfile always; an ignored file changes nothing", async () => {
    engine.add(STAND_IN_BASE_IMAGE);
    await writeFile(join(context, ".dockerignore"), "*\n!src/\n");
    await writeFile(join(context, "notes.txt"), "not for the image\n");
    expect(contextFiles(context)).toEqual([".dockerignore", "Dockerfile", "src/chat.c"]);
    await ensure();
    await writeFile(join(context, "notes.txt"), "still not for the image\n");
    await ensure();
    expect(engine.builds.map((b) => b.files)).toEqual([[".dockerignore", "Dockerfile", "src/chat.c"]]);
  });

  it("refuses a context of more files than a program's directory holds, before building anything", async () => {
    const many = await mkdtemp(join(tmpdir(), "p2plab-big-context-"));
    await Promise.all(Array.from({ length: MAX_CONTEXT_FILES + 1 }, (_, i) => writeFile(join(many, `f${i}`), "")));
    try {
      expect(() => contextFiles(many)).toThrow(`the build context ${many} holds more than ${MAX_CONTEXT_FILES} files`);
    } finally {
      await rm(many, { recursive: true, force: true });
    }
  });
});
