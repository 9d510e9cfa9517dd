import type { PeerEvent } from "../../../peer/src/events.js";

/**
 * Tracks whether a lab is wired: every peer listening, every configured link up. A link counts
 * once both ends have reported it: then a message typed at either end crosses it. An end that
 * prints no link events (a stdio program) cannot report it: only its `listening` (its ready line)
 * is awaited, and `unseen` lists the links no end of which reports.
 */
export class Wiring {
  private readonly reported = new Set<string>();
  private readonly listening = new Set<string>();

  constructor(
    private readonly peers: string[],
    private readonly links: Array<[string, string]>,
    /** The peers that print link events; default all. */
    private readonly reporting: ReadonlySet<string> = new Set(peers),
  ) {}

  observe(event: PeerEvent): void {
    if (event.ev === "listening") this.listening.add(event.peer);
    if (event.ev === "link-up") this.reported.add(`${event.peer}>${event.neighbor}`);
    if (event.ev === "link-down") this.reported.delete(`${event.peer}>${event.neighbor}`);
  }

  /** The configured links not yet up at both ends, with the ends that report links and have not reported it. */
  missing(): Array<{ link: [string, string]; silent: string[] }> {
    return this.links.flatMap(([a, b]) => {
      const silent = [
        [a, b],
        [b, a],
      ].flatMap(([end, other]) => (this.reporting.has(end!) && !this.reported.has(`${end}>${other}`) ? [end!] : []));
      return silent.length ? [{ link: [a, b] as [string, string], silent }] : [];
    });
  }

  /** The configured links neither end of which reports: up cannot see them come up. */
  unseen(): Array<[string, string]> {
    return this.links.filter((link) => link.every((end) => !this.reporting.has(end)));
  }

  notListening(): string[] {
    return this.peers.filter((peer) => !this.listening.has(peer));
  }

  get complete(): boolean {
    return this.notListening().length === 0 && this.missing().length === 0;
  }
}
