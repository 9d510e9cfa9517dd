export interface SeenCacheOptions {
  maxEntries: number;
  maxAgeMs: number;
  now?: () => number;
}

/**
 * The message ids a dedup peer has already shown. Bounded by count and by age, so memory
 * stays flat however long the lab runs; an id older than maxAge may be shown again, which
 * is why maxAge must exceed the longest time a message can spend travelling.
 */
export class SeenCache {
  private readonly entries = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: SeenCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Records the id; true when it had not been seen (within the bounds). */
  add(id: string): boolean {
    const now = this.now();
    this.evict(now);
    if (this.entries.has(id)) return false;
    this.entries.set(id, now);
    if (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Insertion order is age order, so the oldest entries are at the front. */
  private evict(now: number): void {
    for (const [id, at] of this.entries) {
      if (now - at <= this.options.maxAgeMs) break;
      this.entries.delete(id);
    }
  }
}
