import { basename, join, resolve } from "node:path";
import { CheckFailedError, EXIT, InputError } from "../../errors.js";
import { checkResultsDir, describeSaved } from "../../lab/results.js";
import { costLines } from "../../report/markdown.js";
import { runLab } from "../../run/run.js";
import type { ProgramOverride } from "../../topology/load.js";
import { buildContextProblem } from "../../topology/peer-program.js";
import { DEFAULT_ENGINE } from "../../runtime/engines.js";
import { durationFlag, loadTopologyOrFail, placementOptions, type Context } from "../context.js";
import type { OptionsOf } from "../program.js";

export async function runCommand(ctx: Context, file: string, options: OptionsOf<"run">): Promise<void> {
  const wireTimeoutMs = durationFlag("--timeout", options.timeout);
  const program = programOf(options);
  const topology = await loadTopologyOrFail(file, ctx.out, {
    ...(program ? { program: program.override } : {}),
    ...placementOptions(ctx, options.place),
  });
  await checkResultsDir(options.results);
  if (topology.scenario.length === 0) {
    ctx.out.progress(`${file} has no scenario: the run only brings the lab up, checks what it saw, and brings it down`);
  }
  const c = ctx.out.color;
  // Under --json stdout holds the result alone: the steps go with the progress then.
  const printStep = (line: string): void => (options.json ? ctx.out.progress(line) : ctx.out.line(line));
  if (program) ctx.out.progress(`every peer runs ${program.described}`);
  const runtime = await ctx.runtime(topology.engines ?? ctx.engines ?? [DEFAULT_ENGINE]);
  const { report, saved } = await runLab(runtime, topology, {
    ...(program ? { resultsName: `${topology.name}-${program.name}` } : {}),
    recreate: false,
    keep: options.keep === true,
    wireTimeoutMs,
    resultsDir: options.results,
    signal: ctx.signal,
    progress: (message) => ctx.out.progress(message),
    onStep: (index, total, _step, outcome) => {
      const mark = outcome.ok ? c.green("✓") : c.red("✗");
      const lines = [
        `${c.dim(`[${index + 1}/${total}]`)} ${mark} ${outcome.summary}`,
        ...(outcome.detail?.split("\n").map((line) => `      ${line}`) ?? []),
      ];
      lines.forEach(printStep);
    },
  });
  const { dir, fallbackReason } = saved;
  if (fallbackReason) ctx.out.progress(describeSaved("the results", dir, fallbackReason));
  if (options.json) {
    ctx.out.json({
      verdict: report.verdict,
      dir,
      ...(fallbackReason ? { fallbackReason } : {}),
      reasons: report.reasons,
      counts: report.check.counts,
      latency: report.latency,
      ...(report.cost ? { cost: report.cost.byMode } : {}),
    });
  } else {
    const counts = Object.entries(report.check.counts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ");
    ctx.out.line();
    ctx.out.line(`checker: ${report.messages.length} messages; ${counts || "nothing to check"}`);
    if (report.latency.count)
      ctx.out.line(
        `latency: p50 ${report.latency.p50Ms} ms, p95 ${report.latency.p95Ms} ms, max ${report.latency.maxMs} ms`,
      );
    for (const line of costLines(report)) ctx.out.line(`cost: ${line}`);
    ctx.out.line(`report: ${join(dir, "report.html")}`);
    ctx.out.line(report.verdict === "pass" ? c.green("PASS") : c.red("FAIL"));
  }
  if (report.verdict === "fail") {
    // Under --json the result says so already (verdict, reasons): one JSON value on stdout, and exit 1.
    if (options.json) process.exitCode = EXIT.checkFailed;
    else
      throw new CheckFailedError(
        `the run failed:\n${report.reasons.map((r) => `  ${r}`).join("\n")}`,
        `read ${join(dir, "report.html")}`,
      );
  }
}

/**
 * `--image` or `--build`: the program every peer runs instead of its own; its name (for the
 * results directory: which program ran) and its description. A directory that cannot be built is
 * refused before anything starts.
 */
function programOf(
  options: OptionsOf<"run">,
): { override: ProgramOverride; name: string; described: string } | undefined {
  if (options.image !== undefined) {
    return {
      override: { image: options.image },
      name: safeName(options.image),
      described: `the image ${options.image}`,
    };
  }
  if (options.build === undefined) return undefined;
  const build = { context: resolve(options.build), dockerfile: "Dockerfile", args: {} };
  const problem = buildContextProblem(build);
  if (problem)
    throw new InputError(`--build ${options.build}: ${problem.message}`, "give a directory holding a Dockerfile");
  return {
    override: { build },
    name: safeName(basename(build.context)),
    described: `the program built from ${build.context}`,
  };
}

/** An image or directory name as part of a directory name: `student/chat:v2` → `student-chat-v2`. */
function safeName(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, "-")
      .replace(/^[-.]+|[-.]+$/g, "")
      .slice(0, 40) || "program"
  );
}
