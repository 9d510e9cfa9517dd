import type { PeerEvent } from "../../../peer/src/events.js";

/**
 * Tracks whether a lab is wired: every peer listening, every configured link up. A link counts
 * once both ends have reported it: then a message typed at either end crosses it.
 */
export class Wiring {
  private readonly reported = new Set<string>();
  private readonly listening = new Set<string>();

  constructor(
    private readonly peers: string[],
    private readonly links: Array<[string, string]>,
  ) {}

  observe(event: PeerEvent): void {
    if (event.ev === "listening") this.listening.add(event.peer);
    if (event.ev === "link-up") this.reported.add(`${event.peer}>${event.neighbor}`);
    if (event.ev === "link-down") this.reported.delete(`${event.peer}>${event.neighbor}`);
  }

  /** The configured links not yet up at both ends, with the ends that have not reported. */
  missing(): Array<{ link: [string, string]; silent: string[] }> {
    return this.links.flatMap(([a, b]) => {
      const silent = [
        this.reported.has(`${a}>${b}`) ? undefined : a,
        this.reported.has(`${b}>${a}`) ? undefined : b,
      ].filter((peer): peer is string => peer !== undefined);
      return silent.length ? [{ link: [a, b] as [string, string], silent }] : [];
    });
  }

  notListening(): string[] {
    return this.peers.filter((peer) => !this.listening.has(peer));
  }

  get complete(): boolean {
    return this.notListening().length === 0 && this.missing().length === 0;
  }
}
