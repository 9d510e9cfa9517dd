import { SeenCache } from "./seen.js";
import { MAX_IDS_PER_FRAME, encodeFrame } from "./wire.js";
import type { ControlFrame } from "./wire.js";

/** Time as the tree sees it: the system clock in the peer, a fake one in tests. */
export interface Clock {
  now(): number;
  /** Runs `run` after `ms`; the function returned cancels it. */
  after(ms: number, run: () => void): () => void;
}

export const SYSTEM_CLOCK: Clock = {
  now: Date.now,
  after(ms, run) {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * How long message ids wait to be announced together: one `ihave` then carries the ids of a burst.
 * Short beside a graft timeout, so announcing late never makes a peer graft what is on its way.
 */
export const IHAVE_FLUSH_MS = 5;

export interface PlumtreeOptions<N> {
  /** How long to wait for a payload after hearing of its id, before asking the announcer for it. */
  graftTimeoutMs: number;
  ihaveFlushMs: number;
  /** Bounds of the payloads kept to answer grafts: the seen set's. */
  cache: { maxEntries: number; maxAgeMs: number };
  /** Whether the message was shown here already: the peer's seen set. */
  delivered(id: string): boolean;
  /** Writes one encoded frame (a payload line or a control frame) to a neighbour. */
  send(to: N, line: string): void;
  clock: Clock;
}

const PRUNE = encodeFrame({ type: "prune" });

/**
 * Plumtree (Leitão, Pereira and Rodrigues, "Epidemic Broadcast Trees", 2007): payloads travel
 * over the eager links, which duplicates prune down to a spanning tree; the other (lazy) links
 * carry only ids, so a peer that hears of a message the tree did not bring asks for it (graft)
 * and thereby mends the tree. Neighbours that do not speak heal (`plain`) are flooded as a dedup
 * peer would and never sent a control frame: they would close the link on a frame they do not know.
 *
 * Pure state and decisions: it writes frames through `send` and keeps time through `clock`; the
 * peer tells it what happened on its links. `N` is whatever names a neighbour (a Link in the peer).
 */
export class Plumtree<N> {
  private readonly eager = new Set<N>();
  private readonly lazy = new Set<N>();
  private readonly plain = new Set<N>();
  /** The forwarded line of each message passed on, to answer grafts with. */
  private readonly payloads: SeenCache<string>;
  /** Ids announced but not received: who announced them (first asked first), and when to ask. */
  private readonly missing = new Map<string, { announcers: N[]; deadline: number }>();
  private sweep?: { at: number; cancel: () => void };
  /** Ids waiting to be announced, by lazy neighbour. */
  private readonly announcements = new Map<N, string[]>();
  private cancelFlush?: () => void;

  constructor(private readonly options: PlumtreeOptions<N>) {
    this.payloads = new SeenCache({ ...options.cache, now: options.clock.now });
  }

  /** A new link starts eager: a cycle it closes costs one duplicate, which prunes it. */
  linkUp(neighbour: N, speaksHeal: boolean): void {
    (speaksHeal ? this.eager : this.plain).add(neighbour);
  }

  linkDown(neighbour: N): void {
    this.eager.delete(neighbour);
    this.lazy.delete(neighbour);
    this.plain.delete(neighbour);
    this.announcements.delete(neighbour);
    for (const [id, entry] of this.missing) {
      entry.announcers = entry.announcers.filter((announcer) => announcer !== neighbour);
      if (entry.announcers.length === 0) this.missing.delete(id);
    }
  }

  /** A message shown for the first time: no graft is needed for it any more. */
  received(id: string): void {
    this.missing.delete(id);
  }

  /**
   * Passes a message on (`from` undefined: this peer's own): the payload line to the eager and
   * plain neighbours, its id to the lazy ones; never back to `from`.
   */
  forward(from: N | undefined, id: string, line: string): void {
    this.payloads.add(id, line);
    for (const neighbour of [...this.eager, ...this.plain]) {
      if (neighbour !== from) this.options.send(neighbour, line);
    }
    for (const neighbour of this.lazy) {
      if (neighbour !== from) this.announce(neighbour, id);
    }
  }

  /** A payload already shown came from `from`: its link is not on the tree. */
  duplicate(from: N): void {
    if (!this.speaksHeal(from)) return;
    this.makeLazy(from);
    this.options.send(from, PRUNE);
  }

  control(from: N, frame: ControlFrame): void {
    // A neighbour that did not say it speaks heal is flooded whatever it sends.
    if (!this.speaksHeal(from)) return;
    switch (frame.type) {
      case "prune":
        return this.makeLazy(from);
      case "ihave":
        for (const id of frame.ids) if (!this.options.delivered(id)) this.awaitPayload(id, from);
        return;
      case "graft":
        this.makeEager(from);
        for (const id of frame.ids) {
          const line = this.payloads.get(id);
          if (line !== undefined) this.options.send(from, line);
        }
        return;
    }
  }

  /** Cancels the timers: the peer is shutting down. */
  close(): void {
    this.sweep?.cancel();
    this.sweep = undefined;
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    this.missing.clear();
    this.announcements.clear();
  }

  private speaksHeal(neighbour: N): boolean {
    return this.eager.has(neighbour) || this.lazy.has(neighbour);
  }

  private makeLazy(neighbour: N): void {
    this.eager.delete(neighbour);
    this.lazy.add(neighbour);
  }

  private makeEager(neighbour: N): void {
    this.lazy.delete(neighbour);
    this.eager.add(neighbour);
  }

  private announce(neighbour: N, id: string): void {
    const ids = this.announcements.get(neighbour) ?? [];
    ids.push(id);
    this.announcements.set(neighbour, ids);
    if (ids.length >= MAX_IDS_PER_FRAME) {
      this.announcements.delete(neighbour);
      this.sendIds(neighbour, "ihave", ids);
      return;
    }
    this.cancelFlush ??= this.options.clock.after(this.options.ihaveFlushMs, () => {
      this.cancelFlush = undefined;
      for (const [to, waiting] of this.announcements) this.sendIds(to, "ihave", waiting);
      this.announcements.clear();
    });
  }

  private awaitPayload(id: string, announcer: N): void {
    const entry = this.missing.get(id);
    if (entry) {
      if (!entry.announcers.includes(announcer)) entry.announcers.push(announcer);
      return;
    }
    const deadline = this.options.clock.now() + this.options.graftTimeoutMs;
    this.missing.set(id, { announcers: [announcer], deadline });
    this.sweepAt(deadline);
  }

  private sweepAt(at: number): void {
    if (this.sweep && this.sweep.at <= at) return;
    this.sweep?.cancel();
    const cancel = this.options.clock.after(Math.max(0, at - this.options.clock.now()), () => {
      this.sweep = undefined;
      this.graftOverdue();
    });
    this.sweep = { at, cancel };
  }

  /**
   * Each id whose wait is over is asked of the first neighbour that announced it, now eager; the
   * next announcer is asked after another timeout if the payload still does not come (the first
   * may have died since). Ids asked of one neighbour go in one graft.
   */
  private graftOverdue(): void {
    const now = this.options.clock.now();
    const grafts = new Map<N, string[]>();
    let next: number | undefined;
    for (const [id, entry] of this.missing) {
      if (entry.deadline <= now) {
        const announcer = entry.announcers.shift();
        if (announcer === undefined) {
          this.missing.delete(id);
          continue;
        }
        grafts.set(announcer, [...(grafts.get(announcer) ?? []), id]);
        entry.deadline = now + this.options.graftTimeoutMs;
      }
      next = Math.min(next ?? entry.deadline, entry.deadline);
    }
    for (const [neighbour, ids] of grafts) {
      this.makeEager(neighbour);
      for (let start = 0; start < ids.length; start += MAX_IDS_PER_FRAME) {
        this.sendIds(neighbour, "graft", ids.slice(start, start + MAX_IDS_PER_FRAME));
      }
    }
    if (next !== undefined) this.sweepAt(next);
  }

  private sendIds(to: N, type: "ihave" | "graft", ids: string[]): void {
    this.options.send(to, encodeFrame({ type, ids }));
  }
}
