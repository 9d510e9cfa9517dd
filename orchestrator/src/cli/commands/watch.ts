import { LiveLab } from "../../lab/live-lab.js";
import { Lab } from "../../lab/lab.js";
import { untilAborted } from "../../wait.js";
import type { Context } from "../context.js";
import type { OptionsOf } from "../program.js";
import { WatchView } from "../watch-view.js";

/**
 * Live status and a feed of deliveries and link changes, until Ctrl-C (the lab keeps running).
 * On a terminal the screen is redrawn; piped, each feed line and each change of the partitions,
 * network faults or cut links is printed once; with --json, every event and each status change as
 * one JSON object per line. A lab brought down is shown so until Ctrl-C; an engine that stops
 * answering ends it with that error.
 */
export async function watchCommand(
  ctx: Context,
  labName: string | undefined,
  options: OptionsOf<"watch">,
): Promise<void> {
  const lab = await Lab.find(await ctx.runtime(), labName);
  const mode = options.json ? "json" : ctx.out.tty ? "screen" : "lines";
  const view = new WatchView(mode, ctx.out.color);
  const until = AbortSignal.any([ctx.signal, ctx.out.readerGone]);
  const live = await LiveLab.open(lab, until, {
    line: (line) => ctx.out.lines(view.line(line)),
    polled: (written, snapshot) => {
      for (const record of written) ctx.out.lines(view.observed(record));
      const status = view.status(snapshot, new Date().toISOString());
      if (mode === "screen") ctx.out.clear();
      ctx.out.lines(status);
    },
  });
  const end = await live.ended.finally(() => live.close());
  if (end?.reason === "engine-gone") throw end.error;
  // Its last status stays on show until Ctrl-C, as for a lab that runs.
  if (end?.reason === "lab-down") await untilAborted(until);
}
