import type { PeerEvent } from "../../../../peer/src/events.js";
import type { LinkRecord } from "../../transcript/link-records.js";
import { LiveFollower } from "../../lab/live.js";
import type { PeerLine } from "../../transcript/transcript.js";
import { Lab, journalState, snapshotOf } from "../../lab/lab.js";
import { NetworkFollower } from "../../lab/network-follower.js";
import { everyUntilAborted } from "../../wait.js";
import type { Context } from "../context.js";
import type { OptionsOf } from "../program.js";
import { WatchView } from "../watch-view.js";

const POLL_MS = 1000;

/**
 * Live status and a feed of deliveries and link changes, until Ctrl-C (the lab keeps running).
 * On a terminal the screen is redrawn; piped, each feed line and each change of the partitions,
 * network faults or cut links is printed once; with --json, every event and each status change as
 * one JSON object per line.
 */
export async function watchCommand(
  ctx: Context,
  labName: string | undefined,
  options: OptionsOf<"watch">,
): Promise<void> {
  const lab = await Lab.find(await ctx.runtime(), labName);
  const mode = options.json ? "json" : ctx.out.tty ? "screen" : "lines";
  const view = new WatchView(mode, ctx.out.color);
  const events: PeerEvent[] = [];
  const show = (line: PeerLine): void => {
    if (line.event) events.push(line.event);
    ctx.out.lines(view.line(line));
  };
  const until = AbortSignal.any([ctx.signal, ctx.out.readerGone]);
  const follower = new LiveFollower(lab, show, until);
  // What happened before, in time order, so the first status drawn is already the lab's.
  const recording = await lab.recording();
  const past = [...recording.lines.values()].flat().sort((a, b) => a.ts.localeCompare(b.ts));
  const read = await lab.containers();
  const network = new NetworkFollower(lab.runtime, read.journal, recording.actions, until);
  follower.seen(past);
  past.forEach(show);
  await follower.start(read);
  // The journal as read, and read again once when its log ends (it stopped, or was removed).
  let journal = { container: read.journal, reread: false };
  await everyUntilAborted(POLL_MS, until, async () => {
    if (!network.following && !journal.reread) journal = { container: await lab.journalContainer(), reread: true };
    const containers = { ...follower.containers(), ...(journal.container ? { journal: journal.container } : {}) };
    // The links of peers that report none, observed once a poll; their latest records stand beside the events.
    const { written, latest } = await lab.recordObservedLinks({ containers });
    for (const record of written) ctx.out.lines(view.observed(record));
    const records: Array<PeerEvent | LinkRecord> = [...events, ...latest];
    const status = view.status(
      snapshotOf(lab.topology, containers.peers, records, network.state, journalState(journal.container)),
      new Date().toISOString(),
    );
    if (mode === "screen") ctx.out.clear();
    ctx.out.lines(status);
  });
  await Promise.all([follower.closed(), network.closed()]);
}
