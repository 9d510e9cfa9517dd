import { setMaxListeners } from "node:events";
import { peerLineReader, type PeerLine } from "../transcript/transcript.js";
import { untilAborted } from "../wait.js";
import { followPeers } from "./follow.js";
import { createdSince, type Lab, type LabContainers } from "./lab.js";
import { PeerStates } from "./peer-states.js";

/**
 * Follows a lab's running peers for `watch` and `logs -f`: the containers read once, then one
 * log stream per running peer and the engine's container events for their states (PeerStates),
 * so watching asks the engine nothing more however large the lab. The engine ends a log stream
 * when its container stops; a peer that starts again (a restart or a start) is followed again,
 * and lines already delivered are not delivered twice.
 */
export class LiveFollower {
  private readonly streams = new Map<string, Promise<void>>();
  private readonly delivered = new Set<string>();
  /** Peers that started again while their previous stream was still ending. */
  private readonly startedAgain = new Set<string>();
  private following: { states: PeerStates; refused: string[] } | undefined;

  constructor(
    private readonly lab: Lab,
    private readonly onLine: (line: PeerLine) => void,
    private readonly signal: AbortSignal,
    /** Only this peer; all when undefined. */
    private readonly only?: string,
    /** Told after each change of a peer's container state the engine's events brought. */
    private readonly onChange: () => void = () => {},
  ) {}

  /** Starts following from the lab's containers as read now (or as the caller just read them). */
  async start(containers?: LabContainers): Promise<void> {
    const { peers, refused } = containers ?? (await this.lab.containers());
    const states = new PeerStates(
      this.lab.runtime,
      this.lab.name,
      peers,
      createdSince(peers),
      (peer) => this.started(peer),
      this.onChange,
    );
    this.following = { states, refused };
    for (const [peer, info] of peers) if (info.state === "running") this.follow(peer);
  }

  /** The lab's peer containers as followed (the journal is not): what the engine's events made of them since `start`; no request. */
  containers(): LabContainers {
    const { states, refused } = this.following!;
    return { peers: states.current(), refused };
  }

  /** False once the engine's event stream ended on its own: the engine went away (or closed it). */
  get engineFollowing(): boolean {
    return this.following?.states.following ?? true;
  }

  /** Waits for the signal to abort, then for every stream to end. */
  async closed(): Promise<void> {
    if (!this.signal.aborted) {
      setMaxListeners(0, this.signal);
      await untilAborted(this.signal);
    }
    await this.following?.states.close();
    while (this.streams.size) await Promise.all(this.streams.values());
  }

  /** Lines already shown another way (read before following): the streams will not deliver them again. */
  seen(lines: readonly PeerLine[]): void {
    for (const line of lines) this.delivered.add(lineKey(line));
  }

  private started(peer: string): void {
    if (this.streams.has(peer)) this.startedAgain.add(peer);
    else this.follow(peer);
  }

  private follow(peer: string): void {
    if (this.signal.aborted || (this.only !== undefined && peer !== this.only)) return;
    const info = this.following!.states.current().get(peer)!;
    const stream = followPeers(
      this.lab.runtime,
      new Map([[peer, { id: info.id, reader: peerLineReader(this.lab.topology, peer, [info.startedAt]) }]]),
      (line) => this.deliver(line),
      this.signal,
    ).finally(() => {
      this.streams.delete(peer);
      if (this.startedAgain.delete(peer)) this.follow(peer);
    });
    this.streams.set(peer, stream);
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
