import { peerLineReader, type PeerLine } from "../transcript/transcript.js";
import { followPeers } from "./follow.js";
import type { Lab, LabContainers } from "./lab.js";

/**
 * Follows a lab's running peers for `watch` and `logs -f`. The engine ends a log stream when
 * its container stops; each poll follows again any peer that runs without a stream (a restart
 * or a start), and lines already delivered are not delivered twice.
 */
export class LiveFollower {
  private readonly streams = new Map<string, Promise<void>>();
  private readonly delivered = new Set<string>();

  constructor(
    private readonly lab: Lab,
    private readonly onLine: (line: PeerLine) => void,
    private readonly signal: AbortSignal,
    /** Only these peers; all when undefined. */
    private readonly only?: string,
  ) {}

  /** Starts the streams that are missing; returns the lab's containers as they are now. */
  async poll(): Promise<LabContainers> {
    const containers = await this.lab.containers();
    const { peers } = containers;
    for (const [peer, info] of peers) {
      if (info.state !== "running" || this.streams.has(peer) || (this.only !== undefined && peer !== this.only))
        continue;
      const stream = followPeers(
        this.lab.runtime,
        new Map([[peer, { id: info.id, reader: peerLineReader(this.lab.topology, peer, [info.startedAt]) }]]),
        (line) => this.deliver(line),
        this.signal,
      ).finally(() => this.streams.delete(peer));
      this.streams.set(peer, stream);
    }
    return containers;
  }

  /** Waits for the streams to end (they do once the signal aborts). */
  async closed(): Promise<void> {
    await Promise.all(this.streams.values());
  }

  /** Lines already shown another way (read before following): the streams will not deliver them again. */
  seen(lines: readonly PeerLine[]): void {
    for (const line of lines) this.delivered.add(lineKey(line));
  }

  private deliver(line: PeerLine): void {
    const key = lineKey(line);
    if (this.delivered.has(key)) return;
    this.delivered.add(key);
    this.onLine(line);
  }
}

function lineKey(line: PeerLine): string {
  return `${line.peer}\u0000${line.ts}\u0000${line.text}`;
}
