import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * `mkdir -p`. Node's own (mkdir with `recursive`) never returns for a path such as /proc/nope,
 * where the parent exists and the child can never be made: it retries for ever.
 */
export async function makeDirectory(dir: string, parentMade = false): Promise<void> {
  try {
    await mkdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && (await stat(dir)).isDirectory()) return;
    // The parent is missing: make it, then try once more; a second ENOENT is final.
    if (code !== "ENOENT" || parentMade || dirname(dir) === dir) throw error;
    await makeDirectory(dirname(dir));
    await makeDirectory(dir, true);
  }
}
