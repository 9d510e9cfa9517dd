import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rename, rmdir, symlink, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { InputError } from "../errors.js";
import { makeDirectory } from "../make-directory.js";
import { saveTranscripts, type LabRecording } from "../transcript/transcript.js";

export interface SavedResults {
  dir: string;
  /** Set when the results directory could not be written: why. `dir` is then a temporary directory. */
  fallbackReason?: string;
}

/**
 * Fails fast, before anything is started, when results cannot be written to `resultsDir`: a run
 * that could not save its results would be lost. `what` and `flag` name them in the error.
 */
export async function checkResultsDir(
  resultsDir: string,
  { what = "results", flag = "--results" } = {},
): Promise<void> {
  try {
    await makeDirectory(resultsDir);
    await rmdir(await mkdtemp(join(resultsDir, ".p2plab-write-check-")));
  } catch (error) {
    throw new InputError(
      `cannot write ${what} to ${resultsDir}: ${describeFsError(error)}`,
      `choose another directory with ${flag}`,
    );
  }
}

/**
 * Writes the lab's transcripts (and what `alsoWrite` adds: a run's report) to a new
 * results/<name>-<time>/ and points results/latest at it. `name` is the lab's, and, when every
 * peer ran one program (`lab run --image`, `--build`), that program's too. When the results
 * directory cannot be written, everything goes to a temporary directory instead, and the result
 * says so: a run's data is never lost to a failed save.
 */
export async function saveResults(
  resultsDir: string,
  name: string,
  recording: LabRecording,
  alsoWrite?: (dir: string) => Promise<void>,
): Promise<SavedResults> {
  const write = async (dir: string): Promise<void> => {
    await saveTranscripts(dir, recording);
    await alsoWrite?.(dir);
  };
  try {
    const dir = await newResultsDir(resultsDir, name);
    await write(dir);
    await pointLatest(resultsDir, dir);
    return { dir };
  } catch (error) {
    if (!isFsError(error)) throw error;
    const dir = await mkdtemp(join(tmpdir(), `p2plab-${name}-`));
    await write(dir);
    return { dir, fallbackReason: `could not write to ${resultsDir}: ${describeFsError(error)}` };
  }
}

/** "transcripts saved to DIR", or why they could not go to the results directory and where they went instead. */
export function describeSaved(what: string, dir: string, fallbackReason?: string): string {
  return fallbackReason ? `${fallbackReason}; ${what} saved to ${dir} instead` : `${what} saved to ${dir}`;
}

/** results/<lab>-<UTC time to the millisecond>, created here, never shared: a suffix when the name is taken. */
async function newResultsDir(resultsDir: string, lab: string): Promise<string> {
  await makeDirectory(resultsDir);
  const base = join(resultsDir, `${lab}-${new Date().toISOString().replace(/[:]/g, "")}`);
  for (let attempt = 1; ; attempt++) {
    const dir = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      await mkdir(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** Replaces results/latest in one step (rename), so saves that race never see it missing. */
async function pointLatest(resultsDir: string, dir: string): Promise<void> {
  const next = join(resultsDir, `.latest-${randomBytes(4).toString("hex")}`);
  await symlink(basename(dir), next);
  try {
    await rename(next, join(resultsDir, "latest"));
  } catch (error) {
    await unlink(next);
    throw error;
  }
}

export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return (
    typeof (error as NodeJS.ErrnoException | undefined)?.code === "string" &&
    typeof (error as NodeJS.ErrnoException).syscall === "string"
  );
}

const FS_ERRORS: Record<string, string> = {
  ENOTDIR: "part of the path is a file, not a directory",
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  ENOENT: "it cannot be created there",
  EEXIST: "it exists and is not a directory",
  EISDIR: "a directory is in the way of a file",
};

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${FS_ERRORS[code] ?? (error as Error).message} (${code})` : String(error);
}
