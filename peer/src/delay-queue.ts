import { MAX_DURATION_MS } from "./duration.js";

/** How long a link holds each frame: `ms` ± `jitterMs`, uniform. */
export interface Delay {
  ms: number;
  jitterMs: number;
}

export const NO_DELAY: Delay = { ms: 0, jitterMs: 0 };

/** One frame's hold, drawn uniformly from `ms - jitterMs` to `ms + jitterMs`. */
export function holdMs(delay: Delay, random: () => number = Math.random): number {
  const hold = delay.ms + (random() * 2 - 1) * delay.jitterMs;
  return Math.min(MAX_DURATION_MS, Math.max(0, Math.round(hold)));
}

/**
 * The frames a link holds back to play a slow network, written in the order they came: a frame
 * whose own hold is over waits for the ones queued before it, as TCP would deliver them. One
 * timer at most, for the head, so a cleared queue leaves nothing behind to keep a process alive.
 */
export class DelayQueue {
  private queue: Array<{ bytes: string; size: number; due: number }> = [];
  private held = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: (bytes: string) => void) {}

  /** Bytes held and not yet written: they count towards the link's send-queue bound. */
  get heldBytes(): number {
    return this.held;
  }

  /** Writes `bytes` after `hold` ms, and never before what was pushed earlier. */
  push(bytes: string, hold: number): void {
    if (hold <= 0 && this.queue.length === 0) return this.write(bytes);
    const size = Buffer.byteLength(bytes);
    this.queue.push({ bytes, size, due: Date.now() + hold });
    this.held += size;
    if (this.queue.length === 1) this.schedule();
  }

  /** Drops everything held; nothing is written afterwards. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.held = 0;
  }

  private schedule(): void {
    const head = this.queue[0];
    if (head) this.timer = setTimeout(() => this.release(), Math.max(0, head.due - Date.now()));
  }

  private release(): void {
    this.timer = undefined;
    const now = Date.now();
    // A write may close the link, which clears the queue: the loop then ends there.
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const { bytes, size } = this.queue.shift()!;
      this.held -= size;
      this.write(bytes);
    }
    this.schedule();
  }
}
