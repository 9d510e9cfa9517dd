import type { PeerEvent } from "../../../peer/src/events.js";
import type { TimelineRecord } from "../transcript/transcript.js";
import { liveOverlay, reportedNeighbors, type Overlay, type PeerState, type PeerStatus } from "./overlay.js";

/**
 * The lab as it was at a moment of a recorded run, rebuilt from the timeline alone: container
 * states from the lab's actions and the peers' own events, links as the peers reported them.
 */
export function statesAt(peers: string[], records: TimelineRecord[], at: string): PeerState[] {
  const status = new Map<string, PeerStatus>(peers.map((peer) => [peer, "created"]));
  for (const record of records) {
    if (record.ts > at) break;
    if (record.ev === "action") {
      const next = AFTER_ACTION[record.action];
      if (record.target && next) status.set(record.target, next);
    } else if (record.ev === "listening") {
      status.set(record.peer, "running");
    } else if (record.ev === "exit" && status.get(record.peer) === "running") {
      status.set(record.peer, "exited");
    }
  }
  return peers.map((name) => ({ name, status: status.get(name)! }));
}

/** A restarted or started peer is "restarting" until it prints `listening` again. */
const AFTER_ACTION: Record<string, PeerStatus | undefined> = {
  kill: "killed",
  stop: "exited",
  pause: "paused",
  resume: "running",
  restart: "restarting",
  start: "restarting",
};

export function overlayAt(peers: string[], records: TimelineRecord[], at: string): Overlay {
  const events = records.filter((record): record is PeerEvent => record.ev !== "action" && record.ts <= at);
  return liveOverlay(statesAt(peers, records, at), reportedNeighbors(events));
}
