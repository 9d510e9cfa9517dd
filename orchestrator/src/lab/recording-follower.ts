import { networkStateAfter } from "../check/timeline-state.js";
import { LABEL } from "../plan/labels.js";
import type { ContainerEvent, ContainerInfo } from "../runtime/runtime.js";
import { engineRecords } from "../transcript/engine.js";
import { mergeActions, type JournalState } from "../transcript/journal.js";
import { mergeLinkRecords } from "../transcript/link-records.js";
import { peerLineReader, typedLines, type LabRecording, type PeerLine } from "../transcript/transcript.js";
import { EngineWatch } from "./engine-watch.js";
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
} from "./lab.js";

/**
 * A lab's recording kept current in memory, for `lab run`'s expectations, which look at the lab
 * four times a second: one log follow per peer container and one of the journal, and the
 * engine's container events followed, so a look asks the engine nothing. Reading the whole lab at
 * each look cost three requests per peer (a list, an inspect and a whole log each time).
 * Container states follow the engine's events; a container that starts again (restart, start) is
 * followed again, and the lines its log replays are skipped.
 */
export class RecordingFollower {
  private readonly peers: Map<string, ContainerInfo>;
  /** Each peer's start times: its last start when it was first read, then the engine's start events. */
  private readonly starts = new Map<string, string[]>();
  private readonly lines = new Map<string, PeerLine[]>();
  /** Peers whose log is being followed now. */
  private readonly followed = new Set<string>();
  private readonly journalled: Journalled = { actions: [], links: [] };
  private journal: JournalState;
  private readonly stop = new AbortController();
  private readonly streams = new Set<Promise<void>>();
  private readonly engine: EngineWatch;

  private constructor(
    private readonly lab: Lab,
    { peers, journal }: LabContainers,
  ) {
    this.peers = new Map([...peers].map(([peer, info]) => [peer, { ...info }]));
    this.journal = journalState(journal);
    for (const [peer, info] of this.peers) {
      this.starts.set(peer, info.startedAt ? [info.startedAt] : []);
      this.lines.set(peer, []);
      this.follow(peer);
    }
    if (journal) this.followJournal(journal.id);
    this.engine = new EngineWatch(
      lab.runtime,
      { [LABEL.lab]: lab.name, [LABEL.role]: "peer" },
      createdSince(peers),
      (event) => this.changed(event),
    );
  }

  /** Reads the lab's containers once and follows them from there. */
  static async start(lab: Lab): Promise<RecordingFollower> {
    return new RecordingFollower(lab, await lab.containers());
  }

  /** The recording so far, as `Lab.recording` reads it, with the actions and links this process recorded. */
  recording(): LabRecording {
    const own = this.lab.recordedHere();
    const actions = mergeActions(this.journalled.actions, [...own.actions]);
    const typed = typedLines(this.lab.topology, actions);
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
      engine: engineRecords(this.engine.events, this.peers),
      links: mergeLinkRecords(this.journalled.links, [...own.links]),
      journal: this.journal,
    };
  }

  /** The lab now, as `Lab.snapshot` gives it, from what has been followed. */
  snapshot(recording: LabRecording = this.recording()): LabSnapshot {
    return snapshotOf(
      this.lab.topology,
      this.peers,
      [...recordingEvents(recording), ...recording.links],
      networkStateAfter(recording.actions),
      recording.journal,
    );
  }

  /** Ends every follow. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.engine.close();
    while (this.streams.size) await Promise.all(this.streams);
  }

  /** A container change: its state as the engine now says, and its log followed again when it started again. */
  private changed(event: ContainerEvent): void {
    const peer = [...this.peers].find(([, info]) => info.id === event.id)?.[0];
    if (peer === undefined) return;
    const info = this.peers.get(peer)!;
    // The replayed events from before the container was read say nothing new of its state, nor
    // does the start of the process it was read running.
    const time = Date.parse(event.ts);
    if (time < Math.max(msOf(info.startedAt), msOf(info.finishedAt))) return;
    if (event.change === "start") {
      if (time === msOf(info.startedAt)) return;
      Object.assign(info, { state: "running", startedAt: event.ts });
      this.starts.get(peer)!.push(event.ts);
      if (!this.followed.has(peer)) this.follow(peer);
    } else if (event.change === "die") {
      Object.assign(info, { state: "exited", finishedAt: event.ts, exitCode: event.exitCode ?? info.exitCode });
    } else {
      info.state = event.change === "pause" ? "paused" : "running";
    }
  }

  /**
   * Follows a peer's log until the engine ends it (its container stopped) or the follower is
   * closed. The engine replays the whole log to a new follow: the lines already kept are read
   * again (a stdio program's reader keeps state) but not kept twice.
   */
  private follow(peer: string): void {
    if (this.stop.signal.aborted) return;
    const info = this.peers.get(peer)!;
    const starts = this.starts.get(peer)!;
    const startsBefore = starts.length;
    const reader = peerLineReader(this.lab.topology, peer, [...starts]);
    const kept = this.lines.get(peer)!;
    this.followed.add(peer);
    this.track(async () => {
      let index = 0;
      try {
        for await (const line of this.lab.runtime.logs(info.id, { follow: true, signal: this.stop.signal })) {
          const read = reader.read(line);
          if (index++ >= kept.length) kept.push(read);
        }
      } catch {
        // The container went away under the follow: the engine's events say what became of it.
      }
      this.followed.delete(peer);
      // Started again while this follow was ending: the start event found it still followed.
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
      if (!this.stop.signal.aborted)
        this.journal = journalState(await this.lab.journalContainer().catch(() => undefined));
    });
  }

  private track(run: () => Promise<void>): void {
    const stream = run().finally(() => this.streams.delete(stream));
    this.streams.add(stream);
  }
}

/** An engine time in ms; 0 for none (never started, not finished). */
function msOf(iso: string): number {
  return iso ? Date.parse(iso) : 0;
}
