import { Lab, recordingEvents } from "../../lab/lab.js";
import { followPeers } from "../../lab/follow.js";
import { formatPeerLine, formatRecord, mergeTimeline, type PeerLine } from "../../transcript/transcript.js";
import type { Context } from "../context.js";

export interface LogsOptions {
  lab?: string;
  follow?: boolean;
  json?: boolean;
}

/** The readable transcript (who said what, via whom, when); --json gives the raw events. */
export async function logsCommand(ctx: Context, peer: string | undefined, options: LogsOptions): Promise<void> {
  const lab = await Lab.find(await ctx.runtime(), options.lab);
  const print = (line: PeerLine): void => {
    if (options.json) {
      if (line.event) ctx.out.line(JSON.stringify(line.event));
    } else {
      ctx.out.line(formatPeerLine(line));
    }
  };
  if (options.follow) {
    const { peers } = await lab.containers();
    const chosen = peer === undefined ? [...peers] : [[peer, (await lab.peer(peer)).id] as const];
    await followPeers(lab.runtime, new Map(chosen.map(([name, info]) => [name, typeof info === "string" ? info : info.id])), print, ctx.signal);
    return;
  }
  const recording = await lab.recording();
  if (peer !== undefined) {
    await lab.peer(peer);
    for (const line of recording.lines.get(peer) ?? []) print(line);
    return;
  }
  for (const record of mergeTimeline(recordingEvents(recording), recording.actions)) {
    ctx.out.line(options.json ? JSON.stringify(record) : formatRecord(record));
  }
}
