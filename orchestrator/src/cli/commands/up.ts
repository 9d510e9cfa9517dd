import { formatDuration } from "../../../../peer/src/duration.js";
import { checkResultsDir, describeSaved } from "../../lab/results.js";
import { up } from "../../lab/up.js";
import { DEFAULT_ENGINE } from "../../runtime/engines.js";
import { durationFlag, loadTopologyOrFail, placementOptions, type Context } from "../context.js";
import { renderSnapshot } from "../render.js";
import type { OptionsOf } from "../program.js";

export async function upCommand(ctx: Context, file: string, options: OptionsOf<"up">): Promise<void> {
  const wireTimeoutMs = durationFlag("--timeout", options.timeout);
  const topology = await loadTopologyOrFail(file, ctx.out, placementOptions(ctx, options.place));
  // Only a replaced lab's transcripts are saved.
  if (options.recreate) await checkResultsDir(options.results);
  const runtime = await ctx.runtime(topology.engines ?? ctx.engines ?? [DEFAULT_ENGINE]);
  ctx.out.progress(`bringing up lab ${topology.name}: ${topology.peers.length} peers, ${topology.links.length} links`);
  const result = await up(runtime, topology, {
    recreate: options.recreate === true,
    onFailure: "leave",
    wireTimeoutMs,
    resultsDir: options.results,
    signal: ctx.signal,
    progress: (message) => ctx.out.progress(message),
  });
  const { replaced } = result;
  if (replaced?.savedTo)
    ctx.out.progress(describeSaved("the replaced lab's transcripts", replaced.savedTo, replaced.fallbackReason));
  for (const problem of replaced?.refused ?? []) ctx.out.progress(`warning: the replaced lab: ${problem}`);
  if (options.json) {
    ctx.out.json({ ...result.snapshot, wiredInMs: result.wiredInMs });
    return;
  }
  const c = ctx.out.color;
  ctx.out.line(c.green(`lab ${topology.name} is up and wired in ${formatDuration(result.wiredInMs)}`));
  ctx.out.line();
  ctx.out.lines(renderSnapshot(result.snapshot, c));
  ctx.out.line();
  ctx.out.line(
    c.dim(`next: lab send ${topology.peers[0]!.name} hello · lab kill PEER · lab watch · lab down ${topology.name}`),
  );
}
