import { Transform } from "node:stream";
import { formatDuration } from "../../../peer/src/duration.js";
import { EnvironmentError } from "../errors.js";
import type { ImageBuildProgress, Runtime } from "./runtime.js";

/**
 * Copying an image from one engine to another through this process, as `docker save | docker
 * --context other load` does: the engines need no registry and no route to each other, only to
 * this process, which every command of a spread lab has anyway.
 */

/** How many bytes pass between two progress lines: a few lines for a peer image of ~300 MB. */
export const SHIP_PROGRESS_EVERY_BYTES = 64 * 1024 * 1024;

export interface ShippedImage {
  /** The archive's size, as it crossed this process. */
  bytes: number;
  ms: number;
}

/**
 * Streams `tag` from `from` into `to`, saying how many bytes have crossed every `everyBytes` and
 * once at the end. Nothing is buffered here beyond the stream's own chunks. Throws what the
 * source or the destination said when either fails; the destination is left without the image.
 */
export async function shipImage(
  from: Pick<Runtime, "saveImage">,
  to: Pick<Runtime, "loadImage">,
  tag: string,
  progress: ImageBuildProgress,
  everyBytes = SHIP_PROGRESS_EVERY_BYTES,
): Promise<ShippedImage> {
  const started = performance.now();
  const archive = await from.saveImage(tag);
  let bytes = 0;
  let reported = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes - reported >= everyBytes) {
        reported = bytes;
        progress(`${tag}: ${formatBytes(bytes)} shipped`);
      }
      done(null, chunk);
    },
  });
  // A source that breaks off must still end what the destination reads: a cut archive is one
  // it refuses, where a stream that never ends would hold its load open for ever.
  let sourceError: Error | undefined;
  archive.once("error", (error: Error) => {
    sourceError = error;
    counted.end();
  });
  let loadError: unknown;
  await to.loadImage(archive.pipe(counted)).catch((error: unknown) => (loadError = error));
  if (sourceError)
    throw new EnvironmentError(`shipping ${tag}: the source engine broke off its archive: ${sourceError.message}`);
  if (loadError !== undefined) {
    // A destination that gave up before the end leaves the source sending into nothing.
    archive.destroy();
    throw loadError;
  }
  const ms = performance.now() - started;
  progress(`${tag}: shipped ${formatBytes(bytes)} in ${formatDuration(ms)}`);
  return { bytes, ms };
}

/** "332 MB", "1.5 MB", "512 kB": decimal units, as `docker image ls` prints sizes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const [value, unit] = bytes < 1e6 ? [bytes / 1e3, "kB"] : bytes < 1e9 ? [bytes / 1e6, "MB"] : [bytes / 1e9, "GB"];
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, "") : Math.round(value)} ${unit}`;
}
