import { join } from "node:path";
import { readReport, writeReport } from "../../report/files.js";
import type { Context } from "../context.js";

/** Re-renders report.md and report.html from a results directory's summary.json. */
export async function reportCommand(ctx: Context, dir: string): Promise<void> {
  await writeReport(dir, await readReport(dir));
  ctx.out.line(`wrote ${join(dir, "report.md")} and ${join(dir, "report.html")}`);
}
