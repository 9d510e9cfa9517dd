import { afterNetworkFault, isBlocked, type NetworkState } from "../faults/network-faults.js";
import { isUp } from "../faults/peer-status.js";
import { PROCESS_FAULTS, isProcessFault } from "../faults/process-faults.js";
import { describeAction } from "../transcript/journal.js";
import type { TimelineRecord } from "../transcript/transcript.js";
import type { Overlay } from "./overlay.js";
import type { Detection, DetectionEnd } from "./run-report.js";
import { networkStateAt, overlayAt } from "./timeline-state.js";

export type ActionRecord = Extract<TimelineRecord, { ev: "action" }>;

/** One end of a silenced link to watch: `peer` should notice that `neighbor` went quiet. */
interface Watched {
  peer: string;
  neighbor: string;
  /** The index of the record from which the fault no longer silences the link; none: it did until the end. */
  undone?: number;
}

/**
 * How long each fault that silences links took to be noticed: for a kill, stop or pause, the
 * links the target had (its neighbours' ends: the target itself is dead or frozen); for a
 * partition or a cut, the links it newly blocked (both ends). For each end, the first
 * `link-down` it reported for that neighbour after the fault and before the fault was undone —
 * `eof` at once after a kill, `timeout` only after the heartbeat's timeout after a pause or a
 * partition — or nothing: not detected. A fault that silenced no live link is not listed.
 */
export function detectionTimes(peers: string[], records: TimelineRecord[]): Detection[] {
  return records.flatMap((record, index) => {
    if (record.ev !== "action") return [];
    const watched = silencedBy(peers, records, record, index);
    if (watched === undefined || watched.length === 0) return [];
    return [
      {
        action: record.action,
        description: describeAction(record),
        at: record.ts,
        ends: watched.map((end) => detect(records, record, index, end)),
      },
    ];
  });
}

/** The ends of the links this action silenced, with when it stopped; undefined for an action that silences none. */
function silencedBy(
  peers: string[],
  records: TimelineRecord[],
  action: ActionRecord,
  index: number,
): Watched[] | undefined {
  // Just before the action: the records up to it, those of the same moment before it included.
  const before = (): Overlay => overlayAt(peers, records.slice(0, index), action.ts);
  if (stopsPeer(action)) {
    const target = action.target!;
    const undone = records.findIndex(
      (later, at) =>
        at > index &&
        later.ev === "action" &&
        later.target === target &&
        isProcessFault(later.action) &&
        isUp(PROCESS_FAULTS[later.action].leaves),
    );
    return neighborsOf(before(), target).map((neighbor) => ({
      peer: neighbor,
      neighbor: target,
      ...(undone === -1 ? {} : { undone }),
    }));
  }
  if (!blocksLinks(action)) return undefined;
  const state = afterNetworkFault(networkStateAt(records.slice(0, index), action.ts), action.fault!);
  return before()
    .links.filter(([a, b]) => isBlocked(state, a, b) || isBlocked(state, b, a))
    .flatMap(([a, b]) => {
      const undone = unblockedFrom(records, index, state, a, b);
      const when = undone === undefined ? {} : { undone };
      return [
        { peer: a, neighbor: b, ...when },
        { peer: b, neighbor: a, ...when },
      ];
    });
}

/** Whether a lab action silences links: it kills, stops or pauses a peer, or partitions or cuts the network. */
export function silencesLinks(action: ActionRecord): boolean {
  return stopsPeer(action) || blocksLinks(action);
}

function stopsPeer(action: ActionRecord): boolean {
  return action.target !== undefined && isProcessFault(action.action) && !isUp(PROCESS_FAULTS[action.action].leaves);
}

function blocksLinks(action: ActionRecord): boolean {
  return action.fault !== undefined && ["partition", "cut"].includes(action.fault.kind);
}

/** The target's links in the overlay just before the fault: those the network let through, and those it already dropped. */
function neighborsOf(overlay: Overlay, target: string): string[] {
  const pairs: Array<[string, string]> = [
    ...overlay.links,
    ...overlay.cut.map((cut): [string, string] => [cut.from, cut.to]),
  ];
  return pairs.flatMap(([a, b]) => (a === target ? [b] : b === target ? [a] : []));
}

/** The index of the first later network fault after which the link is open both ways again. */
function unblockedFrom(
  records: TimelineRecord[],
  index: number,
  state: NetworkState,
  a: string,
  b: string,
): number | undefined {
  for (let at = index + 1; at < records.length; at++) {
    const record = records[at]!;
    if (record.ev !== "action" || !record.fault) continue;
    state = afterNetworkFault(state, record.fault);
    if (!isBlocked(state, a, b) && !isBlocked(state, b, a)) return at;
  }
  return undefined;
}

/** The end's first notice of the silence between the fault and its undoing. */
function detect(records: TimelineRecord[], action: ActionRecord, index: number, end: Watched): DetectionEnd {
  const until = end.undone ?? records.length;
  const undoneAt = end.undone === undefined ? {} : { undoneAt: records[end.undone]!.ts };
  for (let at = index + 1; at < until; at++) {
    const reason = noticed(records[at]!, end);
    if (reason === undefined) continue;
    const ts = records[at]!.ts;
    return {
      peer: end.peer,
      neighbor: end.neighbor,
      reason,
      at: ts,
      afterMs: Date.parse(ts) - Date.parse(action.ts),
      ...undoneAt,
    };
  }
  return { peer: end.peer, neighbor: end.neighbor, ...undoneAt };
}

/**
 * Why this record says the end saw its link go: its own `link-down`'s reason, or, for a peer lab
 * observes from outside, "gone from its TCP table" (a configured-links guess is no notice).
 */
function noticed(record: TimelineRecord, end: Watched): string | undefined {
  if (record.ev === "link-down" && record.peer === end.peer && record.neighbor === end.neighbor) return record.reason;
  if (
    record.ev === "links" &&
    record.target === end.peer &&
    record.source === "tcp-table" &&
    record.down.includes(end.neighbor)
  )
    return "gone from its TCP table";
  return undefined;
}
