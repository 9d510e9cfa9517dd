import { EXIT } from "../../errors.js";
import { formatDiagnostic } from "../../topology/diagnostic.js";
import { loadTopologyFile } from "../../topology/load.js";
import { placementOptions, TopologyError, type Context } from "../context.js";
import type { OptionsOf } from "../program.js";

export async function validateCommand(ctx: Context, file: string, options: OptionsOf<"validate">): Promise<void> {
  const result = await loadTopologyFile(file, placementOptions(ctx, options.place));
  if (options.json) {
    ctx.out.json(result.ok ? { ok: true, warnings: result.warnings, topology: result.topology } : result);
    if (!result.ok) process.exitCode = EXIT.input;
    return;
  }
  for (const warning of result.warnings) ctx.out.line(`warning: ${formatDiagnostic(warning)}`);
  if (!result.ok) throw new TopologyError(result.errors);
  const { topology } = result;
  const steps = topology.scenario.length ? `, a scenario of ${topology.scenario.length} steps` : "";
  ctx.out.line(
    `${file}: ok — lab ${topology.name}, ${topology.peers.length} peers, ${topology.links.length} links${steps}`,
  );
}
