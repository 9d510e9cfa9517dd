import { EnvironmentError } from "../../errors.js";
import { down, reachablePart } from "../../lab/down.js";
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
  const whole = await ctx.runtime();
  // Labs are found on the engines that answer: down removes what it can reach, and says what it could not.
  const { runtime } = await reachablePart(whole);
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
  const result = await down(whole, name, { save: true, resultsDir: options.results });
  if (options.json && !result.unreachable) return ctx.out.json(result);
  for (const problem of result.refused) ctx.out.progress(`warning: ${problem}`);
  if (result.savedTo) ctx.out.line(describeSaved("transcripts", result.savedTo, result.fallbackReason));
  if (result.unreachable) {
    throw new EnvironmentError(
      `lab ${name}: removed ${result.removedContainers} containers; could not reach ${result.unreachable.join(", ")}: what they hold is left, and so is the lab's network`,
      `run lab down ${name} again once they answer (docker --context NAME info)`,
    );
  }
  ctx.out.line(`lab ${name} removed: ${result.removedContainers} containers, ${result.removedNetworks} network`);
}
