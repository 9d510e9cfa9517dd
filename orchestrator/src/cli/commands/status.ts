import { Lab } from "../../lab/lab.js";
import type { Context } from "../context.js";
import { renderSnapshot } from "../render.js";
import type { OptionsOf } from "../program.js";

export async function statusCommand(
  ctx: Context,
  labName: string | undefined,
  options: OptionsOf<"status">,
): Promise<void> {
  const lab = await Lab.find(await ctx.runtime(), labName);
  await lab.recordObservedLinks();
  const snapshot = await lab.snapshot();
  if (options.json) ctx.out.json(snapshot);
  else ctx.out.lines(renderSnapshot(snapshot, ctx.out.color));
}
