import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { UiLabDown } from "./protocol.js";

/** Where the server serves the report saved with a lab brought down (that one file only). */
export const SAVED_REPORT_PATH = "/saved/report.html";

/**
 * What pages are told when their lab was brought down: where `lab down` saved its transcripts
 * (the newest `<lab>-<time>` directory of `resultsDir` written since `since`, ms), and the
 * report.html there, when there is one, to serve at SAVED_REPORT_PATH.
 */
export async function labDown(
  resultsDir: string,
  lab: string,
  since: number,
): Promise<{ event: UiLabDown; reportFile?: string }> {
  const saved = await savedSince(resultsDir, lab, since);
  if (!saved) {
    return {
      event: {
        message: `lab ${lab} was brought down; its transcripts are not in ${resultsDir} (lab down --results saves them elsewhere)`,
      },
    };
  }
  const reportFile = join(saved, "report.html");
  const hasReport = await stat(reportFile).then(
    (info) => info.isFile(),
    () => false,
  );
  const message = `lab ${lab} was brought down; its transcripts were saved to ${saved}`;
  return hasReport ? { event: { message, report: SAVED_REPORT_PATH }, reportFile } : { event: { message } };
}

/** A file's times come from the kernel's coarse clock, a few ms behind Date.now(). */
const FS_CLOCK_SLACK_MS = 1000;

async function savedSince(resultsDir: string, lab: string, since: number): Promise<string | undefined> {
  // As results.ts names them; a lab's name is a DNS name, nothing in it special to a regular expression.
  const pattern = new RegExp(`^${lab}-\\d{4}-\\d{2}-\\d{2}T\\d{6}\\.\\d{3}Z(-\\d+)?$`);
  const names = await readdir(resultsDir).catch(() => [] as string[]);
  const found = await Promise.all(
    names
      .filter((name) => pattern.test(name))
      .map(async (name) => ({
        dir: join(resultsDir, name),
        info: await stat(join(resultsDir, name)).catch(() => undefined),
      })),
  );
  return found
    .filter(({ info }) => info?.isDirectory() && info.mtimeMs >= since - FS_CLOCK_SLACK_MS)
    .sort((a, b) => a.info!.mtimeMs - b.info!.mtimeMs)
    .at(-1)?.dir;
}
