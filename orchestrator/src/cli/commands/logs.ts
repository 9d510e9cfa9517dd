import { Lab, recordingTimeline } from "../../lab/lab.js";
import { LiveFollower } from "../../lab/live.js";
import { formatPeerLine, formatRecord, type PeerLine } from "../../transcript/transcript.js";
import type { Context } from "../context.js";
import type { OptionsOf } from "../program.js";

/** The readable transcript (who said what, via whom, when); --json gives the raw events. */
export async function logsCommand(ctx: Context, peer: string | undefined, options: OptionsOf<"logs">): Promise<void> {
  const lab = await Lab.find(await ctx.runtime(), options.lab);
  const print = (line: PeerLine): void => {
    if (options.json) {
      if (line.event) ctx.out.line(JSON.stringify(line.event));
    } else {
      ctx.out.line(formatPeerLine(line));
    }
  };
  if (options.follow) {
    if (peer !== undefined) await lab.peer(peer);
    // Until Ctrl-C or the reader goes away, following peers again as they restart.
    const until = AbortSignal.any([ctx.signal, ctx.out.readerGone]);
    const follower = new LiveFollower(lab, print, until, peer);
    // What was printed before, in time order, then what comes.
    const past = await lab.recording();
    const lines = (peer === undefined ? [...past.lines.values()].flat() : (past.lines.get(peer) ?? [])).sort((a, b) =>
      a.ts.localeCompare(b.ts),
    );
    follower.seen(lines);
    lines.forEach(print);
    await follower.start();
    await follower.closed();
    return;
  }
  const recording = await lab.recording();
  if (peer !== undefined) {
    await lab.peer(peer);
    for (const line of recording.lines.get(peer) ?? []) print(line);
    return;
  }
  for (const record of recordingTimeline(recording)) {
    ctx.out.line(options.json ? JSON.stringify(record) : formatRecord(record));
  }
}
