import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { basename, join, normalize, relative } from "node:path";
import dockerignore from "@balena/dockerignore";
import { InputError } from "../errors.js";
import {
  buildFailedMessage,
  ensureBaseImage,
  ensureImage,
  type BaseImage,
  type BaseImageOptions,
  type ImageEngine,
} from "./peer-image.js";
import type { BuildContext } from "./runtime.js";

/**
 * A topology's `build:` images: made the way the reference peer's image is (peer-image.ts), from
 * a directory of the user's. The tag is fixed by where and how it is built (the context's path,
 * the Dockerfile, the arguments), so a rebuild replaces the image it made before; the build
 * hash on it (the context's files and the base's image ID) says whether it is current.
 */

/** A context bigger than this is likely a mistake (a home directory, node_modules): refused before it is read. */
export const MAX_CONTEXT_FILES = 10_000;
export const MAX_CONTEXT_BYTES = 256 * 1024 ** 2;

/** `p2plab/build-c-p2pchat:1a2b3c4d`: the context's directory name, and a hash of where and how it is built. */
export function builtImageTag(build: BuildContext): string {
  const name =
    basename(build.context)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "context";
  const recipe = createHash("sha256")
    .update(JSON.stringify([build.context, build.dockerfile, Object.entries(build.args).sort()]))
    .digest("hex");
  return `p2plab/build-${name.slice(0, 40)}:${recipe.slice(0, 12)}`;
}

/**
 * The files sent as the build context (paths relative to it, sorted), as `docker build` sends
 * them: all but what the context's `.dockerignore` excludes, the Dockerfile and `.dockerignore`
 * always; within the bounds above.
 */
export function contextFiles(context: string, dockerfile = "Dockerfile"): string[] {
  const ignorePath = join(context, ".dockerignore");
  // A CommonJS module: its factory is also its own `default`, which is what TypeScript sees.
  const ignore = existsSync(ignorePath)
    ? dockerignore.default({ ignorecase: false }).add(readFileSync(ignorePath, "utf8"))
    : undefined;
  const always = new Set([normalize(dockerfile), ".dockerignore"]);
  const files: string[] = [];
  let bytes = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const file = relative(context, path);
      if (ignore?.ignores(file) && !always.has(file)) continue;
      files.push(file);
      bytes += lstatSync(path).size;
      if (files.length > MAX_CONTEXT_FILES || bytes > MAX_CONTEXT_BYTES) {
        throw new InputError(
          `the build context ${context} holds more than ${files.length > MAX_CONTEXT_FILES ? `${MAX_CONTEXT_FILES} files` : `${MAX_CONTEXT_BYTES / 1024 ** 2} MB`}`,
          "build from the directory of the program alone (its source and Dockerfile)",
        );
      }
    }
  };
  walk(context);
  return files;
}

/** The hash that says whether a built image is current: every file of the context (name and content), the recipe, the base. */
export function contextHash(build: BuildContext, files: string[], baseImageId: string): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify([build.dockerfile, Object.entries(build.args).sort(), baseImageId]));
  for (const file of files) {
    const path = join(build.context, file);
    hash.update(`\0${file}\0`);
    // A link is sent as a link: its target is what it holds.
    hash.update(lstatSync(path).isSymbolicLink() ? readlinkSync(path) : readFileSync(path));
  }
  return hash.digest("hex").slice(0, 16);
}

/** Whether the Dockerfile takes lab's base as `ARG BASE_IMAGE`: only then is a base chosen (and, offline, built) for it. */
export function takesBaseImage(dockerfile: string): boolean {
  return /^\s*ARG\s+BASE_IMAGE\b/im.test(dockerfile);
}

/**
 * Builds the image of a `build:` when it is missing or stale; returns its tag. The build argument
 * BASE_IMAGE is lab's base for the reference peer (present, pulled or built first) when the
 * Dockerfile declares it and the topology does not set it. A failed build is the input's to fix
 * (exit 2): the error quotes the failing step's output.
 */
export async function ensureBuiltImage(
  engine: ImageEngine,
  build: BuildContext,
  options: BaseImageOptions,
): Promise<string> {
  const tag = builtImageTag(build);
  const files = contextFiles(build.context, build.dockerfile);
  const dockerfile = readFileSync(join(build.context, build.dockerfile), "utf8");
  const base: BaseImage | undefined =
    takesBaseImage(dockerfile) && build.args.BASE_IMAGE === undefined
      ? await ensureBaseImage(engine, options)
      : undefined;
  const failure = await ensureImage(
    engine,
    {
      tag,
      root: build.context,
      files,
      dockerfile: build.dockerfile,
      buildArgs: { ...(base ? { BASE_IMAGE: base.name } : {}), ...build.args },
      labels: {},
    },
    {
      hash: contextHash(build, files, base?.id ?? ""),
      from: base ? `${build.context} on ${base.name}` : build.context,
      progress: options.progress,
    },
  );
  if (failure !== undefined) {
    throw new InputError(
      buildFailedMessage(`building ${tag} from ${build.context}`, failure),
      `fix the program or its Dockerfile; \`docker build ${build.context}\` shows the whole build`,
    );
  }
  return tag;
}
