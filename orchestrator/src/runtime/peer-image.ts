import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EnvironmentError } from "../errors.js";
import { packageVersion } from "../paths.js";
import type { ImageBuildProgress, Labels } from "./runtime.js";

/**
 * The reference peer image: which base it is built on, when it is rebuilt, and what a rebuild
 * leaves behind. The engine is an interface here (docker-runtime.ts implements it), so every
 * decision is tested without one.
 */

export const OFFICIAL_BASE_IMAGE = "node:22-bookworm-slim";
/** What scripts/offline-base-image.sh builds: Debian bookworm and Node 22, as the official image holds. */
export const STAND_IN_BASE_IMAGE = "p2plab/node-base:22-bookworm";
/** The files the peer image is built from, relative to the package root. */
export const PEER_IMAGE_CONTEXT = ["Dockerfile", "dist/peer.cjs"];
const BUILD_HASH_LABEL = "p2plab.build-hash";

/** The tag of the reference peer image this version of p2plab builds. */
export function referencePeerImage(): string {
  return `p2plab/peer:${packageVersion()}`;
}

export interface LocalImage {
  id: string;
  labels: Labels;
}

export interface ImageBuild {
  tag: string;
  /** The directory the context files are read from. */
  root: string;
  files: string[];
  /** Relative to root; absent: Dockerfile. */
  dockerfile?: string;
  buildArgs: Record<string, string>;
  labels: Labels;
}

/** Why a build failed: the engine's error, and the step that failed with what it printed last. */
export interface BuildFailure {
  /** E.g. `The command '/bin/sh -c make' returned a non-zero code: 2`. */
  error: string;
  /** The step as the build printed it, `Step 5/9 : RUN make`; absent when it failed before any. */
  step?: string;
  /** The step's last lines of output. */
  output: string[];
}

/** `building X failed at Step 5/9 : RUN make:` and the step's output quoted under it; `building X failed: ERROR` before any step. */
export function buildFailedMessage(building: string, failure: BuildFailure): string {
  if (!failure.step) return `${building} failed: ${failure.error}`;
  const quoted = [...failure.output, failure.error].map((line) => `    ${line}`).join("\n");
  return `${building} failed at ${failure.step}:\n${quoted}`;
}

/** What choosing a base and building the peer image need from an engine. */
export interface ImageEngine {
  /** Undefined when the engine has no image of that name. */
  inspectImage(name: string): Promise<LocalImage | undefined>;
  /** Undefined once the image is here; otherwise why it could not be pulled. */
  pullImage(name: string, progress: ImageBuildProgress): Promise<string | undefined>;
  /** Undefined once built and tagged; otherwise why the build failed. */
  buildImage(build: ImageBuild, progress: ImageBuildProgress): Promise<BuildFailure | undefined>;
  /** Undefined once removed (or already gone); otherwise why the engine keeps it (a container uses it). */
  removeImage(id: string): Promise<string | undefined>;
}

/** Building the stand-in base on this host, where no registry answers. */
export interface StandInBuilder {
  /** Why this host cannot build it (not root, a tool missing), or undefined when it can. */
  problem(): string | undefined;
  /** Throws EnvironmentError when the build fails. */
  build(tag: string, progress: ImageBuildProgress): Promise<void>;
}

export interface BaseImageOptions {
  standIn: StandInBuilder;
  progress: ImageBuildProgress;
  /** A base the user named (P2PLAB_BASE_IMAGE): used as it is. */
  chosen?: string;
}

export interface BaseImage extends LocalImage {
  name: string;
}

/**
 * The base the peer image is built on, present on the engine: the one the user named; else the
 * official image when here, the stand-in when here, the official image when it can be pulled;
 * else the stand-in, built here when this host can, with a line saying why.
 */
export async function ensureBaseImage(engine: ImageEngine, options: BaseImageOptions): Promise<BaseImage> {
  const { chosen, progress, standIn } = options;
  if (chosen) {
    if (!(await engine.inspectImage(chosen))) {
      progress(`pulling ${chosen} (P2PLAB_BASE_IMAGE)`);
      const reason = await engine.pullImage(chosen, progress);
      if (reason !== undefined) {
        throw new EnvironmentError(
          `P2PLAB_BASE_IMAGE names ${chosen}, which is not here and cannot be pulled: ${reason}`,
          `build or load that image first, or unset P2PLAB_BASE_IMAGE and lab picks a base itself`,
        );
      }
    }
    return present(engine, chosen);
  }
  for (const name of [OFFICIAL_BASE_IMAGE, STAND_IN_BASE_IMAGE]) {
    const image = await engine.inspectImage(name);
    if (image) return { name, ...image };
  }
  progress(`pulling ${OFFICIAL_BASE_IMAGE}`);
  const unpulled = await engine.pullImage(OFFICIAL_BASE_IMAGE, progress);
  if (unpulled === undefined) return present(engine, OFFICIAL_BASE_IMAGE);
  const problem = standIn.problem();
  if (problem !== undefined) {
    throw new EnvironmentError(
      `the base image ${OFFICIAL_BASE_IMAGE} is not here and cannot be pulled: ${unpulled}`,
      `no registry answers? build a local base with \`sudo scripts/offline-base-image.sh\` (it needs a Debian mirror and the npm registry), ` +
        `then run again: it is picked up as ${STAND_IN_BASE_IMAGE} (lab cannot build it itself here: ${problem})`,
    );
  }
  progress(
    `${OFFICIAL_BASE_IMAGE} cannot be pulled (${unpulled}): building the stand-in ${STAND_IN_BASE_IMAGE} ` +
      `from a Debian mirror and the npm registry, once (a few minutes)`,
  );
  await standIn.build(STAND_IN_BASE_IMAGE, progress);
  return present(engine, STAND_IN_BASE_IMAGE);
}

async function present(engine: ImageEngine, name: string): Promise<BaseImage> {
  const image = await engine.inspectImage(name);
  if (!image)
    throw new EnvironmentError(
      `the base image ${name} is still missing after it was pulled or built`,
      `see docker image ls ${name}`,
    );
  return { name, ...image };
}

/** What decides whether an image is current: its build context's files and the exact base (its image ID). */
export function peerImageBuildHash(context: Buffer[], baseImageId: string): string {
  const hash = createHash("sha256");
  for (const file of context) hash.update(file);
  hash.update(baseImageId);
  return hash.digest("hex").slice(0, 16);
}

export interface PeerImageOptions extends BaseImageOptions {
  tag: string;
  /** The package root: the Dockerfile and dist/peer.cjs. */
  root: string;
}

/**
 * Builds the peer image when it is missing, or when its context or its base changed; then removes
 * the image it replaced, unless a container still uses it. Returns the tag.
 */
export async function ensurePeerImage(engine: ImageEngine, options: PeerImageOptions): Promise<string> {
  const { tag, root, progress } = options;
  if (!existsSync(join(root, "dist/peer.cjs"))) {
    throw new EnvironmentError("the peer bundle dist/peer.cjs is missing", "run `npm run build` (npm ci runs it too)");
  }
  const base = await ensureBaseImage(engine, options);
  const buildHash = peerImageBuildHash(
    PEER_IMAGE_CONTEXT.map((file) => readFileSync(join(root, file))),
    base.id,
  );
  const failure = await ensureImage(
    engine,
    { tag, root, files: PEER_IMAGE_CONTEXT, buildArgs: { BASE_IMAGE: base.name }, labels: {} },
    { hash: buildHash, from: base.name, progress },
  );
  if (failure !== undefined) {
    throw new EnvironmentError(
      buildFailedMessage(`building ${tag} from ${base.name}`, failure),
      "the Dockerfile installs iproute2 and iptables with apt-get: the build needs to reach a Debian mirror",
    );
  }
  return tag;
}

/**
 * Builds an image unless the one tagged carries this build hash (`p2plab.build-hash`), saying so
 * in a progress line (`building TAG from FROM`); then removes the image it replaced, unless the
 * engine keeps it (a container uses it), which a progress line says. The reference peer's image
 * and a topology's `build:` images are made this way. Returns why the build failed, if it did.
 */
export async function ensureImage(
  engine: ImageEngine,
  build: ImageBuild,
  options: { hash: string; from: string; progress: ImageBuildProgress },
): Promise<BuildFailure | undefined> {
  const { tag } = build;
  const replaced = await engine.inspectImage(tag);
  if (replaced?.labels[BUILD_HASH_LABEL] === options.hash) return undefined;
  options.progress(`building ${tag} from ${options.from}`);
  const failure = await engine.buildImage(
    { ...build, labels: { ...build.labels, [BUILD_HASH_LABEL]: options.hash } },
    options.progress,
  );
  if (failure !== undefined) return failure;
  if (replaced && replaced.id !== (await engine.inspectImage(tag))?.id) {
    const kept = await engine.removeImage(replaced.id);
    if (kept !== undefined) options.progress(`the image ${tag} replaced (${replaced.id}) stays: ${kept}`);
  }
  return undefined;
}
