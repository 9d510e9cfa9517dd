import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { clockTime, describeEvent, parseEventLine, type PeerEvent } from "../../../peer/src/events.js";
import type { LogLine } from "../runtime/runtime.js";
import { makeDirectory } from "../make-directory.js";
import { visible } from "../visible.js";
import { describeEngineRecord, type EngineRecord } from "./engine.js";
import { describeAction, type Action, type JournalState } from "./journal.js";
import { describeLinkRecord, type LinkRecord } from "./link-records.js";

/** One line a peer printed: an event, or anything else (diagnostics on stderr, a foreign peer's chatter). */
export interface PeerLine {
  peer: string;
  ts: string;
  stream: LogLine["stream"];
  text: string;
  event?: PeerEvent;
}

export function toPeerLine(peer: string, line: LogLine): PeerLine {
  const event = line.stream === "stdout" ? parseEventLine(line.text) : undefined;
  return { peer, ts: event?.ts ?? line.ts, stream: line.stream, text: line.text, ...(event ? { event } : {}) };
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

/** One readable line of a peer's output, its control characters escaped. */
export function formatPeerLine(line: PeerLine): string {
  if (line.event) return visible(`${clockTime(line.ts)}  ${describeEvent(line.event)}`);
  return visible(`${clockTime(line.ts)}  ${line.peer} ${line.stream === "stderr" ? "!" : "|"} ${line.text}`);
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
