import type { PeerEvent } from "../../../../peer/src/events.js";
import { partitionsText } from "../../check/overlay.js";
import { sleep } from "../../concurrency.js";
import { LiveFollower } from "../../lab/live.js";
import { Lab, journalState, snapshotOf } from "../../lab/lab.js";
import { formatPeerLine, type PeerLine } from "../../transcript/transcript.js";
import type { Context } from "../context.js";
import { renderSnapshot } from "../render.js";

const FEED_EVENTS = new Set<PeerEvent["ev"]>(["sent", "recv", "link-up", "link-down", "hop-limit", "connect-failed", "bad-frame", "exit"]);
const FEED_LENGTH = 18;
const POLL_MS = 1000;

/**
 * Live status and a feed of deliveries and link changes, until Ctrl-C (the lab keeps running).
 * On a terminal the screen is redrawn; piped, each feed line and each partition change is printed once.
 */
export async function watchCommand(ctx: Context, labName: string | undefined): Promise<void> {
  const lab = await Lab.find(await ctx.runtime(), labName);
  const events: PeerEvent[] = [];
  const feed: string[] = [];
  let lastPartitions = "";

  const onLine = (line: PeerLine): void => {
    if (line.event) events.push(line.event);
    if (line.event && !FEED_EVENTS.has(line.event.ev)) return;
    const text = formatPeerLine(line);
    if (ctx.out.tty) {
      feed.push(text);
      if (feed.length > FEED_LENGTH) feed.shift();
    } else {
      ctx.out.line(text);
    }
  };

  const follower = new LiveFollower(lab, onLine, ctx.signal);
  const draw = async (): Promise<void> => {
    const { peers, journal } = await follower.poll();
    const snapshot = snapshotOf(lab.topology, peers, events, journalState(journal));
    const partitions = partitionsText(snapshot.overlay.partitions);
    if (ctx.out.tty) {
      ctx.out.clear();
      ctx.out.lines(renderSnapshot(snapshot, ctx.out.color));
      ctx.out.line();
      ctx.out.line(ctx.out.color.bold("feed") + ctx.out.color.dim("  (Ctrl-C leaves the lab running)"));
      ctx.out.lines(feed);
    } else if (partitions !== lastPartitions) {
      ctx.out.line(`-- partitions: ${partitions}`);
    }
    lastPartitions = partitions;
  };

  while (!ctx.signal.aborted) {
    await draw();
    await sleep(POLL_MS, ctx.signal).catch(() => {});
  }
  await follower.closed();
}
