import type { PeerEvent } from "../../../peer/src/events.js";
import { isBlocked, type NetworkState } from "../faults/network-faults.js";
import type { PeerStatus } from "../faults/peer-status.js";
import type { ContainerInfo } from "../runtime/runtime.js";
import type { LinkRecord } from "../transcript/link-records.js";

export interface PeerState {
  name: string;
  status: PeerStatus;
  exitCode?: number;
}

export function peerStatus(info: ContainerInfo | undefined): Pick<PeerState, "status" | "exitCode"> {
  if (!info) return { status: "removed" };
  switch (info.state) {
    case "running":
    case "paused":
    case "restarting":
    case "created":
      return { status: info.state };
    case "exited":
    case "dead":
    case "removing":
      return { status: exitStatus(info.exitCode), exitCode: info.exitCode };
  }
}

/** A process that ended with 137 was sent SIGKILL. */
export function exitStatus(exitCode: number | undefined): "killed" | "exited" {
  return exitCode === 137 ? "killed" : "exited";
}

export function describeStatus(state: Pick<PeerState, "status" | "exitCode">): string {
  return state.status === "exited" ? `exited (${state.exitCode})` : state.status;
}

/** The peer events reportedNeighbors reads: a restart, and a link's ends going up and down. */
const LINK_EVENTS = new Set<PeerEvent["ev"]>(["listening", "link-up", "link-down"]);

/**
 * Whether reportedNeighbors reads this event: a live view keeps only these, so its memory and the
 * cost of each snapshot grow with the links' changes, not with the messages the lab carries.
 */
export function changesLinks(event: PeerEvent): boolean {
  return LINK_EVENTS.has(event.ev);
}

/**
 * Each peer's neighbours right now, replaying its events in order: what it reports, or, for a
 * peer the lab observes from outside (one with link records), what the latest observation saw.
 * A `listening` event starts a new process (a restart), whose links start from nothing.
 */
export function reportedNeighbors(events: Iterable<PeerEvent | LinkRecord>): Map<string, Set<string>> {
  const counts = new Map<string, Map<string, number>>();
  const observed = new Map<string, Set<string>>();
  for (const event of events) {
    if (event.ev === "links") {
      observed.set(event.target, new Set(event.neighbors));
      continue;
    }
    if (event.ev === "listening") {
      counts.set(event.peer, new Map());
      if (observed.has(event.peer)) observed.set(event.peer, new Set());
    }
    if (event.ev !== "link-up" && event.ev !== "link-down") continue;
    const links = counts.get(event.peer) ?? new Map<string, number>();
    counts.set(event.peer, links);
    const next = (links.get(event.neighbor) ?? 0) + (event.ev === "link-up" ? 1 : -1);
    if (next > 0) links.set(event.neighbor, next);
    else links.delete(event.neighbor);
  }
  return new Map([...[...counts].map(([peer, links]) => [peer, new Set(links.keys())] as const), ...observed]);
}

/** The latest link record of each peer the lab observes, by peer. */
export function latestLinkRecords(records: Iterable<PeerEvent | LinkRecord>): Map<string, LinkRecord> {
  const latest = new Map<string, LinkRecord>();
  for (const record of records) if (record.ev === "links") latest.set(record.target, record);
  return latest;
}

/**
 * A link the peers still report up whose packets the network drops (a partition or `lab cut`):
 * its ends notice only when their heartbeat times out, or never if they send nothing.
 */
export interface CutLink {
  /** A two-way cut: the link's ends in peer order. A one-way cut: packets from `from` to `to` are dropped. */
  from: string;
  to: string;
  /** Only from → to is dropped: `to`'s messages still cross to `from`. */
  oneWay: boolean;
}

export interface Overlay {
  /** Links between live peers that either end reports up and the network lets through both ways, each once, in peer order. */
  links: Array<[string, string]>;
  /** Links between live peers that either end reports up but the network blocks in one direction or both. */
  cut: CutLink[];
  /** Connected components of the live peers over `links`; dead and paused peers belong to none. */
  partitions: string[][];
}

/**
 * The live overlay: running peers and the links they report, minus what the network's faults
 * drop, and its connected components. A partitioned link shows as cut at once, while its ends
 * still report it up until their heartbeat times out.
 */
export function liveOverlay(peers: PeerState[], reported: Map<string, Set<string>>, network: NetworkState): Overlay {
  const order = new Map(peers.map((peer, index) => [peer.name, index]));
  const live = new Set(peers.filter((peer) => peer.status === "running").map((peer) => peer.name));
  const adjacency = new Map<string, Set<string>>([...live].map((name) => [name, new Set<string>()]));
  for (const [peer, neighbors] of reported) {
    for (const neighbor of neighbors) {
      if (!live.has(peer) || !live.has(neighbor) || peer === neighbor) continue;
      adjacency.get(peer)!.add(neighbor);
      adjacency.get(neighbor)!.add(peer);
    }
  }
  const byOrder = (a: string, b: string): number =>
    (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || a.localeCompare(b);
  const links: Array<[string, string]> = [];
  const cut: CutLink[] = [];
  for (const a of [...adjacency.keys()].sort(byOrder)) {
    for (const b of [...adjacency.get(a)!].sort(byOrder)) {
      if (byOrder(a, b) >= 0) continue;
      const [there, back] = [isBlocked(network, a, b), isBlocked(network, b, a)];
      if (!there && !back) links.push([a, b]);
      else if (there && back) cut.push({ from: a, to: b, oneWay: false });
      else cut.push(there ? { from: a, to: b, oneWay: true } : { from: b, to: a, oneWay: true });
    }
  }
  const working = new Map<string, Set<string>>([...live].map((name) => [name, new Set<string>()]));
  for (const [a, b] of links) {
    working.get(a)!.add(b);
    working.get(b)!.add(a);
  }
  const partitions: string[][] = [];
  const placed = new Set<string>();
  for (const start of [...live].sort(byOrder)) {
    if (placed.has(start)) continue;
    const component = [...reach(working, start)];
    component.forEach((peer) => placed.add(peer));
    partitions.push(component.sort(byOrder));
  }
  return { links, cut, partitions };
}

/**
 * The peers a message from `sender` can get to over the overlay, directed: every link both ways,
 * and a one-way cut's open direction (a cut alice → bob lets bob's messages cross to alice). The
 * sender itself is not included.
 */
export function reachableFrom(overlay: Overlay, sender: string): Set<string> {
  const next = new Map<string, Set<string>>();
  const add = (from: string, to: string): void => {
    next.set(from, (next.get(from) ?? new Set()).add(to));
  };
  for (const [a, b] of overlay.links) {
    add(a, b);
    add(b, a);
  }
  for (const cut of overlay.cut) if (cut.oneWay) add(cut.to, cut.from);
  const reached = reach(next, sender);
  reached.delete(sender);
  return reached;
}

/** Every peer reachable from `start` over `next` (breadth first), `start` included. */
function reach(next: Map<string, Set<string>>, start: string): Set<string> {
  const reached = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const peer of next.get(queue.shift()!) ?? []) {
      if (reached.has(peer)) continue;
      reached.add(peer);
      queue.push(peer);
    }
  }
  return reached;
}

/** Partitions as text: "{alice} {carol, dave}", or "(no live peers)". */
export function partitionsText(partitions: string[][]): string {
  return partitions.length === 0 ? "(no live peers)" : partitions.map((group) => `{${group.join(", ")}}`).join(" ");
}
