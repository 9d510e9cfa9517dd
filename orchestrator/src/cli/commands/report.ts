import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../../errors.js";
import { describeFsError, isFsError, writeReport } from "../../lab/results.js";
import type { RunReport } from "../../report/model.js";
import type { Context } from "../context.js";

/** Re-renders report.md and report.html from a results directory's summary.json. */
export async function reportCommand(ctx: Context, dir: string): Promise<void> {
  let report: RunReport;
  try {
    report = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as RunReport;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      `${dir} has no readable summary.json (${code ?? (error as Error).message})`,
      "give a directory written by lab run, e.g. results/latest",
    );
  }
  const missing = (["lab", "verdict", "peers", "links", "snapshots", "messages", "forwards", "expectations", "latency", "check", "actions", "outsideLab", "journal", "reasons"] as const).filter(
    (key) => report?.[key] === undefined,
  );
  if (missing.length > 0) {
    throw new InputError(`${join(dir, "summary.json")} is not a run summary (no ${missing.join(", ")})`, "give a directory written by lab run, e.g. results/latest");
  }
  try {
    await writeReport(dir, report);
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw new InputError(`cannot write the report to ${dir}: ${describeFsError(error)}`, "give a directory lab can write to, or copy it somewhere it can");
  }
  ctx.out.line(`wrote ${join(dir, "report.md")} and ${join(dir, "report.html")}`);
}
