import { down } from "../../lab/down.js";
import { Lab } from "../../lab/lab.js";
import { checkResultsDir, describeSaved } from "../../lab/results.js";
import type { Context } from "../context.js";
import type { OptionsOf } from "../program.js";

export async function downCommand(
  ctx: Context,
  labName: string | undefined,
  options: OptionsOf<"down">,
): Promise<void> {
  await checkResultsDir(options.results);
  const runtime = await ctx.runtime();
  const names = await Lab.names(runtime);
  const name = labName ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined && names.length > 1) {
    await Lab.find(runtime); // says which labs there are and how to pick one
  }
  if (name === undefined || !names.includes(name)) {
    const message = name
      ? `no lab named "${name}" on this engine; nothing to remove`
      : "no lab is running; nothing to remove";
    return options.json
      ? ctx.out.json({ lab: name ?? null, removedContainers: 0, removedNetworks: 0 })
      : ctx.out.line(message);
  }
  const result = await down(runtime, name, { save: true, resultsDir: options.results });
  if (options.json) return ctx.out.json(result);
  for (const problem of result.refused) ctx.out.progress(`warning: ${problem}`);
  if (result.savedTo) ctx.out.line(describeSaved("transcripts", result.savedTo, result.fallbackReason));
  ctx.out.line(`lab ${name} removed: ${result.removedContainers} containers, ${result.removedNetworks} network`);
}
