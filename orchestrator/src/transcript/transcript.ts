import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { clockTime, describeEvent, parseEventLine, type PeerEvent } from "../../../peer/src/events.js";
import { typedLine } from "../adapter/send-template.js";
import { StdioAdapter, foreignMessageId } from "../adapter/stdio-adapter.js";
import { eventOnLabClock, type ClockOffset } from "../runtime/clock-offset.js";
import type { LogLine } from "../runtime/runtime.js";
import { fixedPort } from "../topology/peer-program.js";
import type { PeerSpec, Topology } from "../topology/schema.js";
import { makeDirectory } from "../make-directory.js";
import { visible } from "../visible.js";
import { describeEngineRecord, type EngineRecord } from "./engine.js";
import { describeAction, type Action, type JournalState } from "./journal.js";
import { describeLinkRecord, type LinkRecord } from "./link-records.js";

/**
 * One line of a peer: what it printed (an event, or anything else: diagnostics on stderr, a
 * foreign peer's chatter), or, on `stdin`, a chat line lab typed into a program that does not
 * echo it, standing for its `sent` event.
 */
export interface PeerLine {
  peer: string;
  ts: string;
  stream: LogLine["stream"] | "stdin";
  text: string;
  event?: PeerEvent;
}

/** A line of a peer that prints the reference peer's JSON events (peer/PROTOCOL.md). */
export function toPeerLine(peer: string, line: LogLine, clockOffset?: ClockOffset): PeerLine {
  const parsed = line.stream === "stdout" ? parseEventLine(line.text) : undefined;
  // The peer stamps its events with its machine's clock: put on the lab's, as the runtime puts the engine's times.
  const event = parsed && clockOffset ? eventOnLabClock(parsed, clockOffset) : parsed;
  return { peer, ts: event?.ts ?? line.ts, stream: line.stream, text: line.text, ...(event ? { event } : {}) };
}

/**
 * Reads one peer's output, line by line in the order it was printed, into PeerLines, as its
 * interface says: JSON events, or a stdio program's lines through its StdioAdapter (ready line →
 * `listening`, received lines → `recv`, its echo → `sent`). `starts`: when its container
 * (re)started, as far as known; crossing one after earlier lines means a new process, whose
 * ready line is looked for again. Every reader of a lab's output (status, logs, watch, up's
 * wiring, the checker through the timeline) reads through one of these.
 */
export class PeerLineReader {
  private readonly adapter: StdioAdapter | undefined;
  private readonly starts: string[];
  private nextStart = 0;
  private readAny = false;

  constructor(
    private readonly spec: PeerSpec,
    peers: readonly string[],
    starts: readonly string[] = [],
    /** Its engine's clock offset: a lab on several engines (clock-offset.ts). */
    private readonly clockOffset?: ClockOffset,
  ) {
    if (spec.interface.events === "stdio") {
      const { events: _events, send: _send, ...expressions } = spec.interface;
      this.adapter = new StdioAdapter(expressions, { peer: spec.name, port: fixedPort(spec), peers });
    }
    this.starts = starts.filter((start) => start !== "").sort();
  }

  read(line: LogLine): PeerLine {
    if (!this.adapter) return toPeerLine(this.spec.name, line, this.clockOffset);
    for (; this.nextStart < this.starts.length && line.ts >= this.starts[this.nextStart]!; this.nextStart++) {
      if (this.readAny) this.adapter.restarted();
    }
    this.readAny = true;
    const { event } = this.adapter.adaptLine(line);
    return { peer: this.spec.name, ts: line.ts, stream: line.stream, text: line.text, ...(event ? { event } : {}) };
  }
}

/** A reader of one peer of a topology (see PeerLineReader). */
export function peerLineReader(topology: Topology, peer: string, starts: readonly string[] = []): PeerLineReader {
  const spec = topology.peers.find((candidate) => candidate.name === peer);
  if (!spec) throw new Error(`peerLineReader: ${peer} is no peer of ${topology.name}`);
  return new PeerLineReader(
    spec,
    topology.peers.map((candidate) => candidate.name),
    starts,
    spec.placement === undefined ? undefined : topology.clockOffsets?.[spec.placement],
  );
}

/**
 * The `sent` events of lines lab typed into stdio programs that print no echo of their own (no
 * `sent` expression): from the journal's send actions, with the id every reception of that text
 * gets (foreignMessageId), so the checker can match them. Two sends of one text are one message.
 */
export function typedLines(topology: Topology, actions: readonly Action[]): PeerLine[] {
  const silent = new Map(
    topology.peers.flatMap((peer) =>
      peer.interface.events === "stdio" && peer.interface.sent === undefined
        ? [[peer.name, peer.interface.send] as const]
        : [],
    ),
  );
  return actions.flatMap((action) => {
    const template = action.action === "send" && action.target !== undefined ? silent.get(action.target) : undefined;
    if (template === undefined || action.detail === undefined) return [];
    const text = action.detail;
    const event: PeerEvent = {
      ts: action.ts,
      peer: action.target!,
      ev: "sent",
      id: foreignMessageId(text),
      origin: action.target!,
      text,
      to: [],
    };
    return [{ peer: action.target!, ts: action.ts, stream: "stdin" as const, text: typedLine(template, text), event }];
  });
}

export type TimelineRecord = PeerEvent | ({ peer: "lab"; ev: "action" } & Action) | EngineRecord | LinkRecord;

/** What a peer printed, as opposed to what lab did, saw of its links, or the engine saw. */
export function isPeerEvent(record: TimelineRecord): record is PeerEvent {
  return record.ev !== "action" && record.ev !== "container" && record.ev !== "links";
}

/**
 * Peer events, orchestrator actions, the engine's container changes and the links lab observed
 * in one list, by time (stable for equal times).
 */
export function mergeTimeline(
  events: PeerEvent[],
  actions: Action[],
  engine: EngineRecord[],
  links: LinkRecord[] = [],
): TimelineRecord[] {
  const records: TimelineRecord[] = [
    ...events,
    ...actions.map((action) => ({ peer: "lab" as const, ev: "action" as const, ...action })),
    ...engine,
    ...links,
  ];
  return records
    .map((record, index) => ({ record, index }))
    .sort((a, b) => a.record.ts.localeCompare(b.record.ts) || a.index - b.index)
    .map(({ record }) => record);
}

/** One readable line of the timeline; what peers said is shown with its control characters escaped. */
export function formatRecord(record: TimelineRecord): string {
  if (record.ev === "action") return visible(`${clockTime(record.ts)}  ${describeAction(record)}`);
  if (record.ev === "container") return visible(`${clockTime(record.ts)}  ${describeEngineRecord(record)}`);
  if (record.ev === "links") return visible(`${clockTime(record.ts)}  ${describeLinkRecord(record)}`);
  return visible(`${clockTime(record.ts)}  ${describeEvent(record)}`);
}

const STREAM_MARKS: Record<PeerLine["stream"], string> = { stdout: "|", stderr: "!", stdin: ">" };

/** One readable line of a peer's output, its control characters escaped. */
export function formatPeerLine(line: PeerLine): string {
  if (line.event) return visible(`${clockTime(line.ts)}  ${describeEvent(line.event)}`);
  return visible(`${clockTime(line.ts)}  ${line.peer} ${STREAM_MARKS[line.stream]} ${line.text}`);
}

export interface LabRecording {
  lines: Map<string, PeerLine[]>;
  /** From the journal, and those the recording process did itself. */
  actions: Action[];
  engine: EngineRecord[];
  /** The links lab observed of peers that report none: from the journal, and those the recording process recorded itself. */
  links: LinkRecord[];
  journal: JournalState;
}

/** Writes transcripts/<peer>.jsonl and .txt, timeline.jsonl and timeline.txt under dir. */
export async function saveTranscripts(dir: string, recording: LabRecording): Promise<string[]> {
  await makeDirectory(join(dir, "transcripts"));
  const written: string[] = [];
  const write = async (file: string, lines: string[]): Promise<void> => {
    await writeFile(join(dir, file), lines.map((line) => `${line}\n`).join(""));
    written.push(file);
  };
  const events: PeerEvent[] = [];
  for (const [peer, lines] of recording.lines) {
    const peerEvents = lines.flatMap((line) => (line.event ? [line.event] : []));
    events.push(...peerEvents);
    await write(
      `transcripts/${peer}.jsonl`,
      peerEvents.map((event) => JSON.stringify(event)),
    );
    await write(`transcripts/${peer}.txt`, lines.map(formatPeerLine));
  }
  const timeline = mergeTimeline(events, recording.actions, recording.engine, recording.links);
  await write(
    "timeline.jsonl",
    timeline.map((record) => JSON.stringify(record)),
  );
  await write("timeline.txt", timeline.map(formatRecord));
  return written;
}
