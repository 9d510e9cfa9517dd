import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseRunReport, type RunReport } from "../check/run-report.js";
import { InputError } from "../errors.js";
import { makeDirectory } from "../make-directory.js";
import { renderHtml, reportPictures } from "./html.js";
import { renderMarkdown } from "./markdown.js";

const SUMMARY = "summary.json";
const FROM_A_RUN =
  "give a directory written by lab run, e.g. results/latest; a summary from an older lab is redrawn by running its scenario again";

/** summary.json (the whole report as data), report.md, report.html and its drawings as SVG files in pictures/. */
export async function writeReport(dir: string, report: RunReport): Promise<void> {
  await makeDirectory(dir);
  await writeFile(join(dir, SUMMARY), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, "report.md"), renderMarkdown(report));
  await writeFile(join(dir, "report.html"), renderHtml(report));
  const pictures = join(dir, "pictures");
  await makeDirectory(pictures);
  for (const { file, svg } of reportPictures(report)) await writeFile(join(pictures, file), `${svg}\n`);
}

/** A results directory's summary.json, checked against this version's shape: a wrong or old one is the user's input, said with the field. */
export async function readReport(dir: string): Promise<RunReport> {
  const file = join(dir, SUMMARY);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      `${dir} has no readable ${SUMMARY} (${code ?? (error as Error).message})`,
      "give a directory written by lab run, e.g. results/latest",
    );
  }
  const parsed = parseRunReport(value);
  if (!parsed.ok) throw new InputError(`${file} is not a run summary this lab reads: ${parsed.problem}`, FROM_A_RUN);
  return parsed.report;
}
