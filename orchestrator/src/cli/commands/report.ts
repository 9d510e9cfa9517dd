import { join } from "node:path";
import { InputError } from "../../errors.js";
import { describeFsError, isFsError } from "../../lab/results.js";
import { readReport, writeReport } from "../../report/files.js";
import type { Context } from "../context.js";

/** Re-renders report.md and report.html from a results directory's summary.json. */
export async function reportCommand(ctx: Context, dir: string): Promise<void> {
  const report = await readReport(dir);
  try {
    await writeReport(dir, report);
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw new InputError(
      `cannot write the report to ${dir}: ${describeFsError(error)}`,
      "give a directory lab can write to, or copy it somewhere it can",
    );
  }
  ctx.out.line(`wrote ${join(dir, "report.md")} and ${join(dir, "report.html")}`);
}
