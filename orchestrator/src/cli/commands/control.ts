import type { ProcessFaultName } from "../../faults/process-faults.js";
import { control } from "../../lab/control.js";
import { Lab } from "../../lab/lab.js";
import { durationFlag, type Context } from "../context.js";
import { renderJournalWarning, renderLinksBack, renderPartitionChange } from "../render.js";
import type { OptionsOf } from "../program.js";

export async function controlCommand(
  ctx: Context,
  action: ProcessFaultName,
  peer: string,
  options: OptionsOf<"control"> | OptionsOf<"grace">,
): Promise<void> {
  // Only stop and restart take --grace; the others do not wait for a process to end.
  const graceMs = "grace" in options ? durationFlag("--grace", options.grace) : 0;
  const lab = await Lab.find(await ctx.runtime(), options.lab);
  const result = await control(lab, action, peer, Math.ceil(graceMs / 1000), ctx.signal);
  if (options.json) {
    const { after, ...rest } = result;
    ctx.out.json({ ...rest, snapshot: after });
    return;
  }
  ctx.out.line(`${result.did}; now ${result.status}`);
  if (result.links) ctx.out.lines(renderLinksBack(result.links, ctx.out.color));
  ctx.out.line(renderPartitionChange(result.partitionsBefore, result.partitionsAfter, ctx.out.color));
  ctx.out.lines(renderJournalWarning(result.after.journal, ctx.out.color));
}
