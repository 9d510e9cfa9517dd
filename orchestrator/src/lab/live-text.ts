import type { PeerEvent } from "../../../peer/src/events.js";
import { partitionsText } from "../check/overlay.js";
import { describeNetworkState, pairText } from "../faults/network-faults.js";
import type { PeerLine } from "../transcript/transcript.js";
import type { LabSnapshot } from "./lab.js";

/** What a person follows of a live lab (`lab watch`'s feed, `lab ui`'s): deliveries and link changes. */
const FEED_EVENTS = new Set<PeerEvent["ev"]>([
  "sent",
  "recv",
  "link-up",
  "link-down",
  "hop-limit",
  "connect-failed",
  "bad-frame",
  "slow-consumer",
  "handshake-failed",
  "delay",
  "crash-handler",
  "exit",
]);

/** Whether a peer's line belongs in the feed: its events that people follow, and whatever else it printed. */
export function isFeedLine(line: PeerLine): boolean {
  return !line.event || FEED_EVENTS.has(line.event.ev);
}

/** "partitions: {alice, bob} {carol}; network: partition {alice, bob} / {carol}; cut: bob ↔ carol": the lab's status on one line. */
export function statusLine(snapshot: LabSnapshot): string {
  const cut = snapshot.overlay.cut;
  const faults = describeNetworkState(snapshot.network);
  return [
    `partitions: ${partitionsText(snapshot.overlay.partitions)}`,
    ...(faults.length ? [`network: ${faults.join(", ")}`] : []),
    ...(cut.length ? [`cut: ${cut.map(pairText).join(", ")}`] : []),
  ].join("; ");
}
