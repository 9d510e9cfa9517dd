import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { renderHtml } from "../report/html.js";
import { renderMarkdown } from "../report/markdown.js";
import type { RunReport } from "../report/model.js";
import { saveTranscripts, type LabRecording } from "../transcript/transcript.js";
import type { Lab } from "./lab.js";

/** Writes the lab's transcripts to results/<lab>-<timestamp>/ and points results/latest at it. */
export async function saveResults(lab: Lab, resultsDir: string): Promise<string> {
  return saveRecording(resultsDir, lab.name, await lab.recording());
}

export async function saveRecording(resultsDir: string, lab: string, recording: LabRecording): Promise<string> {
  const dir = resultsPath(resultsDir, lab);
  await saveTranscripts(dir, recording);
  await pointLatest(resultsDir, dir);
  return dir;
}

/** summary.json (the whole report as data), report.md and report.html. */
export async function writeReport(dir: string, report: RunReport): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "summary.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, "report.md"), renderMarkdown(report));
  await writeFile(join(dir, "report.html"), renderHtml(report));
}

export function resultsPath(resultsDir: string, lab: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[:]/g, "").replace(/\.\d+Z$/, "Z");
  return join(resultsDir, `${lab}-${stamp}`);
}

async function pointLatest(resultsDir: string, dir: string): Promise<void> {
  const latest = join(resultsDir, "latest");
  await rm(latest, { force: true });
  await symlink(basename(dir), latest);
}
