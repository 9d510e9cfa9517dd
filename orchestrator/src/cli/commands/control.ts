import type { ProcessFaultName } from "../../faults/process-faults.js";
import { control, type ControlResult } from "../../lab/control.js";
import { Lab } from "../../lab/lab.js";
import { durationFlag, type Context } from "../context.js";
import type { Colors } from "../output.js";
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
  ctx.out.lines(controlLines(result, ctx.out.color));
}

/** What `lab <kill|stop|…>` prints of its result. */
export function controlLines(result: ControlResult, c: Colors): string[] {
  return [
    `${result.did}; now ${result.status}`,
    ...(result.links ? renderLinksBack(result.links, c) : []),
    renderPartitionChange(result.partitionsBefore, result.partitionsAfter, c),
    ...renderJournalWarning(result.after.journal, c),
  ];
}
