import { backoffMs, type Backoff } from "./backoff.js";
import { MAX_MEMBERS, type Member } from "./wire.js";

/**
 * The bounds of a heal peer's membership (peer/PROTOCOL.md §10). Exported for the tests and the
 * document: they are the contract's numbers, not settings.
 */
export const MEMBERSHIP = {
  /** Most peers known besides the linked ones: the passive view. */
  passiveMax: 256,
  /** How long a peer whose link went down is dialled again on its own, enough neighbours or not. */
  lostRetryMs: 120_000,
  /** Refused dials in a row (nobody listens there, or the name no longer resolves) that forget a peer. */
  forgetAfterRefusals: 3,
  /** Failed dials in a row that forget a peer that is not lost. */
  forgetAfterFailures: 8,
  backoff: { firstMs: 200, capMs: 4000 } satisfies Backoff,
  /**
   * Membership gossip goes out every 3 to 7 heartbeats, and within this long after a link comes up:
   * short, so that a peer lost soon after joining has already told its neighbours of the others
   * (a bridge killed 55 ms after a chain was wired had told no one), and still one round for a burst.
   */
  gossipSoonMs: 20,
};

export interface MembershipOptions {
  /** This peer: never dialled, always first in what it gossips. */
  self: Member;
  minNeighbours: number;
  now: () => number;
  random: () => number;
}

/** What is known of one peer that can be dialled. */
interface Entry {
  listen: string;
  /** Dials in a row that did not end in a link. */
  failures: number;
  /** Of those, the last ones in a row that were refused. */
  refusals: number;
  /** Not dialled before this. */
  nextAt: number;
  /** Set when its link went down: until then it is dialled again on its own (a partition may heal). */
  lostUntil: number | undefined;
}

/**
 * A heal peer's view of the others, in the spirit of HyParView: the active view is the peers it
 * has a link to, the passive view the peers it has heard of with the address they advertise.
 * It decides whom to dial and when; the peer does the dialling and reports back. Pure: time and
 * chance come from the options, so every decision is tested with a fake clock.
 *
 * Two reasons to dial: a peer whose link went down (`lost`) is retried with capped backoff for
 * `lostRetryMs`, so when a partition heals the two sides find each other even though each side
 * has enough links again; and while there are fewer links than `minNeighbours` (counting the
 * dials in flight for that), random known peers are dialled, the first after a jittered pause, so that the
 * neighbours of a dead peer do not all dial at the same instant, nor all the same peer.
 */
export class Membership {
  private readonly entries = new Map<string, Entry>();
  /** Up links per neighbour name, of any mode: two links to one peer count once. */
  private readonly links = new Map<string, number>();
  /** Dials in flight, and whether each is topping up (a lost peer's retry does not count towards the minimum). */
  private readonly dialling = new Map<string, "lost" | "top-up">();
  /** Topping up (below `minNeighbours`) waits until then. */
  private topUpAt = 0;

  constructor(private readonly options: MembershipOptions) {}

  /** Peers heard of in a `members` frame; this peer and unbounded growth are left out. */
  learn(peers: readonly Member[]): void {
    for (const { name, listen } of peers) {
      if (name === this.options.self.name) continue;
      const entry = this.entries.get(name);
      if (entry) {
        entry.listen = listen;
        continue;
      }
      if (this.entries.size >= MEMBERSHIP.passiveMax + this.links.size && !this.evictOne()) continue;
      this.entries.set(name, { listen, failures: 0, refusals: 0, nextAt: 0, lostUntil: undefined });
    }
  }

  /** A link to `name` came up; `listen` is the address it advertised when it speaks heal. */
  linkUp(name: string, listen?: string): void {
    this.links.set(name, (this.links.get(name) ?? 0) + 1);
    if (listen === undefined || name === this.options.self.name) return;
    this.entries.set(name, { listen, failures: 0, refusals: 0, nextAt: 0, lostUntil: undefined });
  }

  /** A link to `name` went down, for any reason: once no other link to it is left, it is lost. */
  linkDown(name: string): void {
    const count = (this.links.get(name) ?? 1) - 1;
    if (count > 0) {
      this.links.set(name, count);
      return;
    }
    this.links.delete(name);
    const now = this.options.now();
    const entry = this.entries.get(name);
    if (entry) {
      Object.assign(entry, { failures: 0, refusals: 0, lostUntil: now + MEMBERSHIP.lostRetryMs });
      entry.nextAt = now + this.backoff(0);
    }
    if (this.links.size < this.options.minNeighbours) this.topUpAt = now + this.backoff(0);
  }

  /**
   * How a dial that `due` handed out ended: in a link, refused (no one there: the peer is likely
   * gone, and is forgotten after a few) or failed otherwise (a timeout: perhaps a partition).
   */
  dialed(name: string, outcome: "linked" | "refused" | "failed"): void {
    this.dialling.delete(name);
    const entry = this.entries.get(name);
    if (!entry) return;
    if (outcome === "linked") {
      Object.assign(entry, { failures: 0, refusals: 0 });
      return;
    }
    entry.failures += 1;
    entry.refusals = outcome === "refused" ? entry.refusals + 1 : 0;
    const forgotten =
      entry.refusals >= MEMBERSHIP.forgetAfterRefusals ||
      (entry.lostUntil === undefined && entry.failures >= MEMBERSHIP.forgetAfterFailures);
    if (forgotten) this.entries.delete(name);
    else entry.nextAt = this.options.now() + this.backoff(entry.failures);
  }

  /** The peers to dial now; each is dialling until `dialed` says how it ended. */
  due(): Member[] {
    const now = this.options.now();
    const dials: string[] = [];
    for (const [name, entry] of this.entries) {
      if (entry.lostUntil !== undefined && now >= entry.lostUntil) entry.lostUntil = undefined;
      if (entry.lostUntil !== undefined && this.idle(name, entry, now)) dials.push(name);
    }
    for (const name of dials) this.dialling.set(name, "lost");
    const shortfall = this.shortfall();
    if (shortfall > 0 && now >= this.topUpAt) {
      const candidates = [...this.entries].filter(([name, entry]) => this.idle(name, entry, now)).map(([name]) => name);
      for (const name of this.shuffled(candidates).slice(0, shortfall)) {
        this.dialling.set(name, "top-up");
        dials.push(name);
      }
    }
    return dials.map((name) => ({ name, listen: this.entries.get(name)!.listen }));
  }

  /** When `due` may next have a dial, if ever without a new event: the peer's one timer. */
  nextDueAt(): number | undefined {
    const now = this.options.now();
    const shortfall = this.shortfall() > 0;
    let next: number | undefined;
    for (const [name, entry] of this.entries) {
      if (this.links.has(name) || this.dialling.has(name)) continue;
      const lost = entry.lostUntil !== undefined && entry.lostUntil > now;
      if (!lost && !shortfall) continue;
      const at = lost ? entry.nextAt : Math.max(entry.nextAt, this.topUpAt);
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  /** What to gossip: this peer, then a random sample of the linked peers that speak heal (known live now). */
  sample(max = MAX_MEMBERS): Member[] {
    const linked = [...this.entries].filter(([name]) => this.links.has(name));
    const picked = this.shuffled(linked).slice(0, max - 1);
    return [this.options.self, ...picked.map(([name, { listen }]) => ({ name, listen }))];
  }

  /** Whether `name` is known (to be dialled), for the tests and diagnostics. */
  knows(name: string): boolean {
    return this.entries.has(name);
  }

  /** Links missing to reach the minimum, dials topping up counted as links. */
  private shortfall(): number {
    let toppingUp = 0;
    for (const why of this.dialling.values()) if (why === "top-up") toppingUp += 1;
    return this.options.minNeighbours - this.links.size - toppingUp;
  }

  private idle(name: string, entry: Entry, now: number): boolean {
    return !this.links.has(name) && !this.dialling.has(name) && entry.nextAt <= now;
  }

  /** Makes room in the passive view: a random peer neither linked, dialled nor lost. */
  private evictOne(): boolean {
    const spare = [...this.entries]
      .filter(([name, entry]) => !this.links.has(name) && !this.dialling.has(name) && entry.lostUntil === undefined)
      .map(([name]) => name);
    if (spare.length === 0) return false;
    this.entries.delete(spare[Math.floor(this.options.random() * spare.length)]!);
    return true;
  }

  private backoff(attempt: number): number {
    return backoffMs(attempt, MEMBERSHIP.backoff, this.options.random);
  }

  private shuffled<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.options.random() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** When the next periodic gossip goes out: 3 to 7 heartbeats, so the peers' rounds drift apart. */
export function gossipDelayMs(heartbeatMs: number, random: () => number = Math.random): number {
  return Math.round(heartbeatMs * (3 + 4 * random()));
}
