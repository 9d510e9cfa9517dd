import type { PeerEvent } from "../../../peer/src/events.js";
import { changesLinks } from "../check/overlay.js";
import { LabError } from "../errors.js";
import type { ContainerInfo } from "../runtime/runtime.js";
import type { LinkRecord } from "../transcript/link-records.js";
import type { PeerLine } from "../transcript/transcript.js";
import { everyUntilAborted } from "../wait.js";
import { Lab, journalState, snapshotOf, type LabSnapshot } from "./lab.js";
import { LiveFollower } from "./live.js";
import { NetworkFollower } from "./network-follower.js";

/** How often the links of peers that report none are observed, and the journal looked for once its log ended. */
const POLL_MS = 1000;

/** Why a live view ended by itself: the lab was brought down, or the engine stopped answering (`error` says so, with the fix). */
export type LiveLabEnd = { reason: "lab-down" } | { reason: "engine-gone"; error: LabError };

/** What a live view tells as it goes. */
export interface LiveLabListener {
  /** Each line a peer printed: the past ones (in time order) while it opens, then each new one as it comes. */
  line(line: PeerLine): void;
  /** After each poll: the changes of the links lab observed of peers that report none, written to the journal. */
  polled?(written: LinkRecord[], snapshot: LabSnapshot): void;
  /** Something the snapshot is made of changed (a line, a container's state, a fault, an observed link). */
  changed?(): void;
}

/**
 * One live view of a running lab, shared by `lab watch` and `lab ui`: the lab's past lines, then
 * every new one, and its snapshot at any moment, answered from what it follows (LiveFollower: one
 * log stream per running peer and the engine's events; NetworkFollower: the journal's faults) and
 * a poll each second that observes the links of peers that report none. Asking for the snapshot
 * asks the engine nothing, so any number of readers cost the engine what one `watch` does. It ends
 * by itself when the lab is brought down (journal and peers gone) or when the engine stops
 * answering, and says which (`ended`).
 */
export class LiveLab {
  /** The peers' link events (changesLinks), in the order they came: what the snapshot is made of besides the containers. */
  private readonly events: PeerEvent[] = [];
  private latestLinks: LinkRecord[] = [];
  /** The journal as read, and read again once when its log ends (it stopped, or was removed). */
  private journal: { container: ContainerInfo | undefined; reread: boolean };
  private follower!: LiveFollower;
  private network!: NetworkFollower;
  private done: Promise<LiveLabEnd | undefined> = Promise.resolve(undefined);

  private constructor(
    readonly lab: Lab,
    private readonly listener: LiveLabListener,
    /** Aborted by the caller's signal, by `close`, or when it ends by itself. */
    private readonly stop: AbortController,
  ) {
    this.journal = { container: undefined, reread: false };
  }

  /** Reads the lab once (its recording and containers) and follows it until `signal` aborts or it ends. */
  static async open(lab: Lab, signal: AbortSignal, listener: LiveLabListener): Promise<LiveLab> {
    const stop = new AbortController();
    if (signal.aborted) stop.abort();
    signal.addEventListener("abort", () => stop.abort(), { once: true });
    const live = new LiveLab(lab, listener, stop);
    await live.begin();
    return live;
  }

  /** The lab now, from what is followed: no engine request. */
  snapshot(): LabSnapshot {
    return snapshotOf(
      this.lab.topology,
      this.follower.containers().peers,
      [...this.events, ...this.latestLinks],
      this.network.state,
      journalState(this.journal.container),
    );
  }

  /** Resolves when it ends: by itself (why), or undefined once stopped. */
  get ended(): Promise<LiveLabEnd | undefined> {
    return this.done;
  }

  /** Ends it (if it has not ended) and waits for every stream to close. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.done.catch(() => {});
    await Promise.all([this.follower.closed(), this.network.closed()]);
  }

  private async begin(): Promise<void> {
    const { lab, listener } = this;
    const until = this.stop.signal;
    const changed = (): void => listener.changed?.();
    const show = (line: PeerLine): void => {
      // Only what the snapshot reads: a lab carrying messages for hours would otherwise grow this, and every snapshot's sort, without bound.
      if (line.event && changesLinks(line.event)) this.events.push(line.event);
      listener.line(line);
    };
    this.follower = new LiveFollower(
      lab,
      (line) => {
        show(line);
        changed();
      },
      until,
      undefined,
      changed,
    );
    // What happened before, in time order, so the first snapshot is already the lab's.
    const recording = await lab.recording();
    const past = [...recording.lines.values()].flat().sort((a, b) => a.ts.localeCompare(b.ts));
    const read = await lab.containers();
    this.journal = { container: read.journal, reread: false };
    this.network = new NetworkFollower(lab.runtime, read.journal, recording.actions, until, changed);
    this.follower.seen(past);
    past.forEach(show);
    await this.follower.start(read);
    this.done = this.poll();
  }

  private async poll(): Promise<LiveLabEnd | undefined> {
    let end: LiveLabEnd | undefined;
    await everyUntilAborted(POLL_MS, this.stop.signal, async () => {
      end = await this.tick().catch((error: unknown) => this.engineGone(error));
      if (end) this.stop.abort();
    });
    return end;
  }

  /** A read failed: the engine is gone when it does not answer a ping either (its error names the fix); otherwise the failure stands. */
  private async engineGone(error: unknown): Promise<LiveLabEnd> {
    if (!(error instanceof LabError)) throw error;
    try {
      await this.lab.runtime.ping();
    } catch (unanswered) {
      if (unanswered instanceof LabError) return { reason: "engine-gone", error: unanswered };
      throw unanswered;
    }
    throw error;
  }

  /** One poll: the journal looked for once its log ended, the observed links, and whether the lab or the engine is gone. */
  private async tick(): Promise<LiveLabEnd | undefined> {
    // Its log ended: it was stopped or removed (lab down), or the engine went away.
    if (!this.network.following && !this.journal.reread) {
      this.journal = { container: await this.lab.journalContainer(), reread: true };
      this.listener.changed?.();
    }
    // The engine's event stream ended by itself: the engine may be gone, and a ping fails then.
    if (!this.follower.engineFollowing) await this.lab.runtime.ping();
    const containers = {
      ...this.follower.containers(),
      ...(this.journal.container ? { journal: this.journal.container } : {}),
    };
    // The links of peers that report none, observed once a poll; their latest records stand beside the events.
    const { written, latest } = await this.lab.recordObservedLinks({ containers });
    this.latestLinks = latest;
    this.listener.polled?.(written, this.snapshot());
    if (written.length) this.listener.changed?.();
    if (this.journal.reread && !this.journal.container && !anyLive(containers.peers)) {
      // Journal and peers gone: once nothing carries the lab's label, it was brought down.
      if (!(await Lab.exists(this.lab.runtime, this.lab.name))) return { reason: "lab-down" };
    }
    return undefined;
  }
}

function anyLive(peers: Map<string, ContainerInfo>): boolean {
  return [...peers.values()].some((info) => ["running", "paused", "restarting"].includes(info.state));
}
