import { rm, symlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { saveTranscripts } from "../transcript/transcript.js";
import type { Lab } from "./lab.js";

/** Writes the lab's transcripts to results/<lab>-<timestamp>/ and points results/latest at it. */
export async function saveResults(lab: Lab, resultsDir: string): Promise<string> {
  const dir = resultsPath(resultsDir, lab.name);
  await saveTranscripts(dir, await lab.recording());
  const latest = join(resultsDir, "latest");
  await rm(latest, { force: true });
  await symlink(basename(dir), latest);
  return dir;
}

export function resultsPath(resultsDir: string, lab: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[:]/g, "").replace(/\.\d+Z$/, "Z");
  return join(resultsDir, `${lab}-${stamp}`);
}
