import { setMaxListeners } from "node:events";
import { networkStateAfter } from "../check/timeline-state.js";
import type { ContainerInfo } from "../runtime/runtime.js";
import { engineRecords } from "../transcript/engine.js";
import { mergeActions } from "../transcript/journal.js";
import { mergeLinkRecords } from "../transcript/link-records.js";
import { peerLineReader, typedLines, type LabRecording, type PeerLine } from "../transcript/transcript.js";
import {
  createdSince,
  journalState,
  mergeByTime,
  readJournalLine,
  recordingEvents,
  snapshotOf,
  type Journalled,
  type Lab,
  type LabContainers,
  type LabSnapshot,
  type LabView,
} from "./lab.js";
import { PeerStates } from "./peer-states.js";

/**
 * A lab's recording kept current in memory, for `lab run`'s scenario: one log follow per peer
 * container and one of the journal, and the containers' states kept by the engine's events
 * (PeerStates), so a look asks the engine nothing. Reading the whole lab at each look cost three
 * requests per peer (a list, an inspect and a whole log each time). While the scenario runs, the
 * lab's own reads are answered from here (Lab.follow): a step costs the engine what it touches.
 * A container that starts again (restart, start) is followed again, and the lines its log
 * replays are skipped.
 */
export class RecordingFollower implements LabView {
  private readonly states: PeerStates;
  /** Each peer's start times: its last start when it was first read, then the starts that were not. */
  private readonly starts = new Map<string, string[]>();
  private readonly lines = new Map<string, PeerLine[]>();
  /** Peers whose log is being followed now. */
  private readonly followed = new Set<string>();
  private readonly journalled: Journalled = { actions: [], links: [] };
  private journal: ContainerInfo | undefined;
  private readonly refused: string[];
  private lastLine = 0;
  private readonly stop = new AbortController();
  private readonly streams = new Set<Promise<void>>();

  private constructor(
    private readonly lab: Lab,
    { peers, journal, refused }: LabContainers,
  ) {
    this.journal = journal;
    this.refused = refused;
    // One signal ends every peer's log stream: as many listeners as peers, not a leak.
    setMaxListeners(0, this.stop.signal);
    for (const [peer, info] of peers) {
      this.starts.set(peer, info.startedAt ? [info.startedAt] : []);
      this.lines.set(peer, []);
    }
    this.states = new PeerStates(lab.runtime, lab.name, peers, createdSince(peers), (peer, ts) =>
      this.started(peer, ts),
    );
    for (const peer of peers.keys()) this.follow(peer);
    if (journal) this.followJournal(journal.id);
  }

  /** Reads the lab's containers once and follows them from there. */
  static async start(lab: Lab): Promise<RecordingFollower> {
    return new RecordingFollower(lab, await lab.containers());
  }

  /** The lab's containers as followed: the journal as read, stopped once its log ended. */
  containers(): LabContainers {
    return {
      peers: this.states.current(),
      ...(this.journal ? { journal: { ...this.journal } } : {}),
      refused: [...this.refused],
    };
  }

  /** The recording so far, as `Lab.recording` reads it, with the actions and links this process recorded. */
  recording(): LabRecording {
    const own = this.lab.recordedHere();
    const actions = mergeActions(this.journalled.actions, [...own.actions]);
    const typed = typedLines(this.lab.topology, actions);
    const peers = this.states.current();
    return {
      lines: new Map(
        this.lab.peerNames
          .filter((peer) => this.lines.has(peer))
          .map((peer) => [
            peer,
            mergeByTime(
              this.lines.get(peer)!,
              typed.filter((line) => line.peer === peer),
            ),
          ]),
      ),
      actions,
      engine: engineRecords(this.states.events, peers),
      links: mergeLinkRecords(this.journalled.links, [...own.links]),
      journal: journalState(this.journal),
    };
  }

  /** The lab now, as `Lab.snapshot` gives it, from what has been followed. */
  snapshot(recording: LabRecording = this.recording()): LabSnapshot {
    return snapshotOf(
      this.lab.topology,
      this.states.current(),
      [...recordingEvents(recording), ...recording.links],
      networkStateAfter(recording.actions),
      recording.journal,
    );
  }

  inspected(peer: string, info: ContainerInfo): void {
    this.states.inspected(peer, info);
  }

  lastOutputAt(): number {
    return this.lastLine;
  }

  /** Ends every follow. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.states.close();
    while (this.streams.size) await Promise.all(this.streams);
  }

  /** A start that was not read: its process's log is followed, unless the previous follow has not ended yet. */
  private started(peer: string, ts: string): void {
    this.starts.get(peer)!.push(ts);
    if (!this.followed.has(peer)) this.follow(peer);
  }

  /**
   * Follows a peer's log until the engine ends it (its container stopped) or the follower is
   * closed. The engine replays the whole log to a new follow: the lines already kept are read
   * again (a stdio program's reader keeps state) but not kept twice.
   */
  private follow(peer: string): void {
    if (this.stop.signal.aborted) return;
    const { id } = this.states.current().get(peer)!;
    const starts = this.starts.get(peer)!;
    const startsBefore = starts.length;
    const reader = peerLineReader(this.lab.topology, peer, [...starts]);
    const kept = this.lines.get(peer)!;
    this.followed.add(peer);
    this.track(async () => {
      let index = 0;
      try {
        for await (const line of this.lab.runtime.logs(id, { follow: true, signal: this.stop.signal })) {
          const read = reader.read(line);
          if (index++ < kept.length) continue;
          kept.push(read);
          this.lastLine = Date.now();
        }
      } catch {
        // The container went away under the follow: the engine's events say what became of it.
      }
      this.followed.delete(peer);
      // Started again while this follow was ending: the start found it still followed.
      if (!this.stop.signal.aborted && starts.length > startsBefore) this.follow(peer);
    });
  }

  private followJournal(id: string): void {
    this.track(async () => {
      try {
        for await (const line of this.lab.runtime.logs(id, { follow: true, signal: this.stop.signal })) {
          readJournalLine(line.text, this.journalled);
        }
      } catch {
        // Said below: the journal is no longer running.
      }
      if (!this.stop.signal.aborted) this.journal = await this.lab.engineJournal().catch(() => undefined);
    });
  }

  private track(run: () => Promise<void>): void {
    const stream = run().finally(() => this.streams.delete(stream));
    this.streams.add(stream);
  }
}
