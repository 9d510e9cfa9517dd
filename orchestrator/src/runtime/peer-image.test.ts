import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FakeEngine, FakeStandIn } from "../../../test/support/image-engine.js";
import { EnvironmentError } from "../errors.js";
import {
  ensureBaseImage,
  ensurePeerImage,
  OFFICIAL_BASE_IMAGE,
  peerImageBuildHash,
  referencePeerImage,
  STAND_IN_BASE_IMAGE,
  type StandInBuilder,
} from "./peer-image.js";

const NO_REGISTRY = 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host';

describe("the peer image's base", () => {
  let engine: FakeEngine;
  let progress: string[];
  const base = (standIn: StandInBuilder, chosen?: string) =>
    ensureBaseImage(engine, { standIn, progress: (line) => progress.push(line), ...(chosen ? { chosen } : {}) });

  beforeEach(() => {
    engine = new FakeEngine();
    progress = [];
  });

  it("the official image when it is here: nothing pulled, nothing built", async () => {
    const official = engine.add(OFFICIAL_BASE_IMAGE);
    engine.add(STAND_IN_BASE_IMAGE);
    const standIn = new FakeStandIn(engine);
    expect(await base(standIn)).toEqual({ name: OFFICIAL_BASE_IMAGE, ...official });
    expect(engine.calls).toEqual([]);
    expect(standIn.built).toEqual([]);
  });

  it("the stand-in when it is here and the official image is not: no pull tried", async () => {
    const standInImage = engine.add(STAND_IN_BASE_IMAGE);
    expect(await base(new FakeStandIn(engine))).toEqual({ name: STAND_IN_BASE_IMAGE, ...standInImage });
    expect(engine.calls).toEqual([]);
  });

  it("neither here: the official image, pulled", async () => {
    const standIn = new FakeStandIn(engine);
    expect((await base(standIn)).name).toBe(OFFICIAL_BASE_IMAGE);
    expect(engine.calls).toEqual([`pull ${OFFICIAL_BASE_IMAGE}`]);
    expect(standIn.built).toEqual([]);
  });

  it("no registry answers and this host can build the stand-in: it is built, saying why in one line, with the script's progress", async () => {
    engine.unpullable.set(OFFICIAL_BASE_IMAGE, NO_REGISTRY);
    const standIn = new FakeStandIn(engine);
    expect((await base(standIn)).name).toBe(STAND_IN_BASE_IMAGE);
    expect(standIn.built).toEqual([STAND_IN_BASE_IMAGE]);
    expect(progress).toEqual([
      `pulling ${OFFICIAL_BASE_IMAGE}`,
      `${OFFICIAL_BASE_IMAGE} cannot be pulled (${NO_REGISTRY}): building the stand-in ${STAND_IN_BASE_IMAGE} from a Debian mirror and the npm registry, once (a few minutes)`,
      "offline-base-image: debootstrap bookworm",
    ]);
  });

  it("no registry answers and this host cannot build the stand-in: exit 3 with the pull's reason, the script to run, and why lab did not", async () => {
    engine.unpullable.set(OFFICIAL_BASE_IMAGE, NO_REGISTRY);
    const standIn = new FakeStandIn(engine, "it needs root (debootstrap builds a Debian file system)");
    const attempt = base(standIn);
    await expect(attempt).rejects.toThrow(EnvironmentError);
    await expect(attempt).rejects.toMatchObject({
      message: `the base image ${OFFICIAL_BASE_IMAGE} is not here and cannot be pulled: ${NO_REGISTRY}`,
      hint:
        "no registry answers? build a local base with `sudo scripts/offline-base-image.sh` (it needs a Debian mirror and the npm registry), " +
        `then run again: it is picked up as ${STAND_IN_BASE_IMAGE} (lab cannot build it itself here: it needs root (debootstrap builds a Debian file system))`,
      exitCode: 3,
    });
    expect(standIn.built).toEqual([]);
  });

  it("P2PLAB_BASE_IMAGE is used as it is, pulled when missing, and never replaced by another", async () => {
    engine.add(OFFICIAL_BASE_IMAGE);
    const mine = engine.add("my/node:22");
    expect(await base(new FakeStandIn(engine), "my/node:22")).toEqual({ name: "my/node:22", ...mine });
    expect((await base(new FakeStandIn(engine), "other/node:22")).name).toBe("other/node:22");
    expect(engine.calls).toEqual(["pull other/node:22"]);

    engine.unpullable.set("gone/node:22", "pull access denied");
    await expect(base(new FakeStandIn(engine), "gone/node:22")).rejects.toMatchObject({
      message: "P2PLAB_BASE_IMAGE names gone/node:22, which is not here and cannot be pulled: pull access denied",
      exitCode: 3,
    });
  });
});

describe("the peer image's build hash", () => {
  const context = [Buffer.from("FROM ${BASE_IMAGE}\n"), Buffer.from("console.log('peer')\n")];

  it("is the same for the same context and base", () => {
    expect(peerImageBuildHash(context, "sha256:1")).toBe(peerImageBuildHash([...context], "sha256:1"));
  });

  it("changes with the base image's ID, the Dockerfile and the bundle", () => {
    const hashes = new Set([
      peerImageBuildHash(context, "sha256:1"),
      peerImageBuildHash(context, "sha256:2"),
      peerImageBuildHash([Buffer.from("FROM other\n"), context[1]!], "sha256:1"),
      peerImageBuildHash([context[0]!, Buffer.from("console.log('new peer')\n")], "sha256:1"),
    ]);
    expect(hashes.size).toBe(4);
  });
});

describe("building the peer image", () => {
  const TAG = "p2plab/peer:test";
  let engine: FakeEngine;
  let root: string;
  let progress: string[];
  const peerImage = () =>
    ensurePeerImage(engine, {
      tag: TAG,
      root,
      standIn: new FakeStandIn(engine),
      progress: (line) => progress.push(line),
    });

  beforeEach(async () => {
    engine = new FakeEngine();
    progress = [];
    root = await mkdtemp(join(tmpdir(), "p2plab-peer-image-"));
    await mkdir(join(root, "dist"));
    await writeFile(join(root, "Dockerfile"), "FROM ${BASE_IMAGE}\n");
    await writeFile(join(root, "dist/peer.cjs"), "console.log('peer')\n");
  });

  it("builds once, then reuses the image while neither its context nor its base changes", async () => {
    engine.add(OFFICIAL_BASE_IMAGE);
    expect(await peerImage()).toBe(TAG);
    expect(await peerImage()).toBe(TAG);
    expect(engine.calls).toEqual([`build ${TAG} from ${OFFICIAL_BASE_IMAGE}`]);
    expect(progress).toEqual([`building ${TAG} from ${OFFICIAL_BASE_IMAGE}`]);
  });

  it("a new base (same name, new image ID) rebuilds it, and the image it replaced is removed", async () => {
    engine.add(OFFICIAL_BASE_IMAGE);
    await peerImage();
    const first = engine.images.get(TAG)!;
    engine.add(OFFICIAL_BASE_IMAGE);
    await peerImage();
    expect(engine.images.get(TAG)!.id).not.toBe(first.id);
    expect(engine.calls).toEqual([
      `build ${TAG} from ${OFFICIAL_BASE_IMAGE}`,
      `build ${TAG} from ${OFFICIAL_BASE_IMAGE}`,
      `remove ${first.id}`,
    ]);
    expect(engine.removed).toEqual([first.id]);
  });

  it("a new bundle rebuilds it; the replaced image a container still uses stays, and lab says so", async () => {
    engine.add(OFFICIAL_BASE_IMAGE);
    await peerImage();
    const first = engine.images.get(TAG)!;
    engine.inUse.set(first.id, "image is being used by running container 3f2a");
    await writeFile(join(root, "dist/peer.cjs"), "console.log('new peer')\n");
    await peerImage();
    expect(engine.removed).toEqual([]);
    expect(progress.at(-1)).toBe(
      `the image ${TAG} replaced (${first.id}) stays: image is being used by running container 3f2a`,
    );
  });

  it("a failed build: exit 3 naming the image, its base, the failing step and what it printed", async () => {
    engine.add(OFFICIAL_BASE_IMAGE);
    engine.buildImage = async () => ({
      step: "Step 2/5 : RUN apt-get update",
      output: ["Err:1 http://deb.debian.org/debian bookworm InRelease", "E: Unable to locate package iproute2"],
      error: "The command '/bin/sh -c apt-get update' returned a non-zero code: 100",
    });
    await expect(peerImage()).rejects.toMatchObject({
      message: [
        `building ${TAG} from ${OFFICIAL_BASE_IMAGE} failed at Step 2/5 : RUN apt-get update:`,
        "    Err:1 http://deb.debian.org/debian bookworm InRelease",
        "    E: Unable to locate package iproute2",
        "    The command '/bin/sh -c apt-get update' returned a non-zero code: 100",
      ].join("\n"),
      exitCode: 3,
    });
    engine.buildImage = async () => ({ error: "dockerfile parse error line 3: unknown instruction: RUNN", output: [] });
    await expect(peerImage()).rejects.toMatchObject({
      message: `building ${TAG} from ${OFFICIAL_BASE_IMAGE} failed: dockerfile parse error line 3: unknown instruction: RUNN`,
    });
  });

  it("no peer bundle: exit 3 saying to build, before the engine is asked anything", async () => {
    root = await mkdtemp(join(tmpdir(), "p2plab-no-bundle-"));
    await expect(peerImage()).rejects.toMatchObject({
      message: "the peer bundle dist/peer.cjs is missing",
      exitCode: 3,
    });
    expect(engine.calls).toEqual([]);
  });
});

describe("docker-compose.yml", () => {
  it("builds the lab service on the peer image `lab image` builds, so compose pulls no base of its own", async () => {
    const compose = parse(await readFile("docker-compose.yml", "utf8")) as {
      services: { lab: { build: { args: Record<string, string> } } };
    };
    expect(compose.services.lab.build.args).toEqual({ PEER_IMAGE: referencePeerImage() });
    expect(await readFile("orchestrator/Dockerfile", "utf8")).toMatch(/^ARG PEER_IMAGE\nFROM \$\{PEER_IMAGE\}$/m);
  });
});
