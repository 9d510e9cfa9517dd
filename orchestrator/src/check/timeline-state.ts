import type { PeerEvent } from "../../../peer/src/events.js";
import { NO_NETWORK_FAULTS, afterNetworkFault, type NetworkState } from "../faults/network-faults.js";
import type { PeerStatus } from "../faults/peer-status.js";
import { PROCESS_FAULTS, PROCESS_FAULT_NAMES, isProcessFault } from "../faults/process-faults.js";
import type { ContainerChange } from "../runtime/runtime.js";
import type { EngineRecord } from "../transcript/engine.js";
import type { Action } from "../transcript/journal.js";
import type { LinkRecord, LinkSource } from "../transcript/link-records.js";
import { isPeerEvent, type TimelineRecord } from "../transcript/transcript.js";
import { exitStatus, liveOverlay, reportedNeighbors, type Overlay, type PeerState } from "./overlay.js";

/**
 * The lab as it was at a moment of a recorded run, rebuilt from the timeline alone: container
 * states from the lab's actions, the engine's container changes and the peers' own events, links
 * as the peers reported them.
 */
export function statesAt(peers: string[], records: TimelineRecord[], at: string): PeerState[] {
  const status = new Map<string, PeerStatus>(peers.map((peer) => [peer, "created"]));
  // Whether the container's current process has printed `listening`: that line and the
  // engine's start event come from different clocks' points of view, in either order.
  const listened = new Set<string>();
  for (const record of records) {
    if (record.ts > at) break;
    if (record.ev === "action") {
      if (record.target && isProcessFault(record.action))
        status.set(record.target, PROCESS_FAULTS[record.action].leaves);
    } else if (record.ev === "container") {
      if (!status.has(record.target)) continue;
      if (record.change === "die") listened.delete(record.target);
      status.set(record.target, afterChange(record, listened.has(record.target)));
    } else if (record.ev === "listening") {
      status.set(record.peer, "running");
      listened.add(record.peer);
    } else if (record.ev === "exit" && status.get(record.peer) === "running") {
      status.set(record.peer, "exited");
    }
  }
  return peers.map((name) => ({ name, status: status.get(name)! }));
}

/** The network faults in force at a moment: every network fault lab recorded up to then, replayed. */
export function networkStateAt(records: readonly TimelineRecord[], at: string): NetworkState {
  const until = records.findIndex((record) => record.ts > at);
  return networkStateAfter(
    (until === -1 ? records : records.slice(0, until)).flatMap((record) => (record.ev === "action" ? [record] : [])),
  );
}

/** The network faults in force after these actions, in order: what `status` shows of a running lab. */
export function networkStateAfter(actions: Iterable<Pick<Action, "fault">>): NetworkState {
  let state = NO_NETWORK_FAULTS;
  for (const action of actions) if (action.fault) state = afterNetworkFault(state, action.fault);
  return state;
}

function afterChange(record: EngineRecord, listened: boolean): PeerStatus {
  switch (record.change) {
    case "start":
      return listened ? "running" : "restarting";
    case "die":
      return exitStatus(record.exitCode);
    case "pause":
      return "paused";
    case "unpause":
      return "running";
  }
}

/** The container changes each lab action makes the engine report: `up` starts every peer, each fault its own. */
const CAUSES = new Map<string, readonly ContainerChange[]>([
  ["up", ["start"]],
  ...PROCESS_FAULT_NAMES.map((name) => [name, PROCESS_FAULTS[name].engineChanges] as const),
]);

/**
 * The engine's container changes that no lab action explains: a crash, the OOM killer, a
 * `docker kill`. A change is lab's when the latest action on that peer before it (or `up`)
 * causes that kind of change and has not been matched to one already.
 */
export function changesOutsideLab(records: TimelineRecord[]): EngineRecord[] {
  type Cause = { index: number; action: string };
  const latest = new Map<string, Cause>();
  let up: Cause | undefined;
  const matched = new Set<string>();
  const outside: EngineRecord[] = [];
  records.forEach((record, index) => {
    if (record.ev === "action" && CAUSES.has(record.action)) {
      if (record.action === "up") up = { index, action: record.action };
      else if (record.target !== undefined) latest.set(record.target, { index, action: record.action });
    }
    if (record.ev !== "container") return;
    const onPeer = latest.get(record.target);
    const cause = onPeer && (!up || onPeer.index > up.index) ? onPeer : up;
    const key = `${cause?.index}\u0000${record.target}\u0000${record.change}`;
    if (cause && CAUSES.get(cause.action)!.includes(record.change) && !matched.has(key)) matched.add(key);
    else outside.push(record);
  });
  return outside;
}

/** Where one peer's links came from over a run, and why they were a guess when they were. */
export interface PeerLinkSource {
  source: LinkSource;
  /** With "configured": why its TCP table could not be read (the latest reason). */
  reason?: string;
}

/**
 * Where each peer's links came from over a recorded run: "events" for a peer lab did not observe
 * (no link records), "configured" for one whose table could not be read at least once, else
 * "tcp-table".
 */
export function linkSourcesOf(peers: string[], records: TimelineRecord[]): Record<string, PeerLinkSource> {
  const sources = new Map<string, PeerLinkSource>(peers.map((peer) => [peer, { source: "events" }]));
  for (const record of records) {
    if (record.ev !== "links" || !sources.has(record.target)) continue;
    if (record.source === "configured")
      sources.set(record.target, { source: "configured", reason: record.reason ?? "" });
    else if (sources.get(record.target)!.source === "events") sources.set(record.target, { source: "tcp-table" });
  }
  return Object.fromEntries(sources);
}

/**
 * The live overlay at a moment: the peers' own link events, and the links lab observed of those
 * that report none, minus what the network faults in force then drop.
 */
export function overlayAt(peers: string[], records: TimelineRecord[], at: string): Overlay {
  const links = records.filter(
    (record): record is PeerEvent | LinkRecord => (isPeerEvent(record) || record.ev === "links") && record.ts <= at,
  );
  return liveOverlay(statesAt(peers, records, at), reportedNeighbors(links), networkStateAt(records, at));
}
