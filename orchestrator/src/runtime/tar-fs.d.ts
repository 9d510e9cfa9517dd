/** The part of tar-fs (v2, no types of its own) that docker-runtime.ts uses: a directory's files as a tar stream. */
declare module "tar-fs" {
  import type { Readable } from "node:stream";
  export function pack(directory: string, options: { entries: string[] }): Readable;
}
