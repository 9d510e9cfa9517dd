import type { LabSnapshot } from "../lab/lab.js";
import { isFeedLine, statusLine } from "../lab/live-text.js";
import type { LinkRecord } from "../transcript/link-records.js";
import { formatPeerLine, formatRecord, type PeerLine } from "../transcript/transcript.js";
import type { Colors } from "./output.js";
import { renderSnapshot } from "./render.js";

/** How `watch` shows the lab: redrawn on a terminal, one line per change when piped, NDJSON with --json. */
export type WatchMode = "screen" | "lines" | "json";

const FEED_LENGTH = 18;

/**
 * Pure: what `watch` prints as peers' lines come in and the lab's status is read again, for each
 * mode. With --json each line is one JSON object: a peer's event as the peer printed it (as
 * `logs --json` gives it), `{"peer":"lab","ev":"links",…}` when the links lab observes of a peer
 * that reports none changed, or `{"peer":"lab","ev":"status",…}`, the lab's status, each time it changes.
 */
export class WatchView {
  private readonly feed: string[] = [];
  private lastStatus = "";

  constructor(
    private readonly mode: WatchMode,
    private readonly colors: Colors,
  ) {}

  /** A line a peer printed: the lines to print now (on a screen it waits for the next redraw). */
  line(line: PeerLine): string[] {
    if (this.mode === "json") return line.event ? [JSON.stringify(line.event)] : [];
    if (!isFeedLine(line)) return [];
    const text = formatPeerLine(line);
    if (this.mode === "lines") return [text];
    this.feed.push(text);
    if (this.feed.length > FEED_LENGTH) this.feed.shift();
    return [];
  }

  /** A change of the links lab observed of a peer that reports none: fed like a peer's link event. */
  observed(record: LinkRecord): string[] {
    if (this.mode === "json") return [JSON.stringify(record)];
    const text = formatRecord(record);
    if (this.mode === "lines") return [text];
    this.feed.push(text);
    if (this.feed.length > FEED_LENGTH) this.feed.shift();
    return [];
  }

  /** The lab as read at `ts`: the whole screen, or a line when what this mode shows changed. */
  status(snapshot: LabSnapshot, ts: string): string[] {
    if (this.mode === "screen") {
      const c = this.colors;
      return [
        ...renderSnapshot(snapshot, c),
        "",
        c.bold("feed") + c.dim("  (Ctrl-C leaves the lab running)"),
        ...this.feed,
      ];
    }
    const shown = this.mode === "json" ? JSON.stringify(snapshot) : statusLine(snapshot);
    if (shown === this.lastStatus) return [];
    this.lastStatus = shown;
    return [this.mode === "json" ? JSON.stringify({ ts, peer: "lab", ev: "status", ...snapshot }) : `-- ${shown}`];
  }
}
