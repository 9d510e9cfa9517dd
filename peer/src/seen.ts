export interface SeenCacheOptions {
  maxEntries: number;
  maxAgeMs: number;
  now?: () => number;
}

/**
 * The message ids a peer has already shown, each with what it keeps of the message (a heal peer:
 * the payload to serve a graft with; a dedup peer: nothing). Bounded by count and by age, so
 * memory stays flat however long the lab runs; an id older than maxAge may be shown again, which
 * is why maxAge must exceed the longest time a message can spend travelling.
 */
export class SeenCache<V = undefined> {
  private readonly entries = new Map<string, { at: number; value: V | undefined }>();
  private readonly now: () => number;

  constructor(private readonly options: SeenCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Records the id (and its value); true when it had not been seen (within the bounds). */
  add(id: string, value?: V): boolean {
    const now = this.now();
    this.evict(now);
    if (this.entries.has(id)) return false;
    this.entries.set(id, { at: now, value });
    if (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return true;
  }

  has(id: string): boolean {
    this.evict(this.now());
    return this.entries.has(id);
  }

  /** The value recorded with the id, while it is remembered. */
  get(id: string): V | undefined {
    this.evict(this.now());
    return this.entries.get(id)?.value;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Insertion order is age order, so the oldest entries are at the front. */
  private evict(now: number): void {
    for (const [id, { at }] of this.entries) {
      if (now - at <= this.options.maxAgeMs) break;
      this.entries.delete(id);
    }
  }
}
