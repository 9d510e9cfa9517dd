import type { PeerEvent } from "../../../peer/src/events.js";
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

export interface Overlay {
  /** Links between live peers that either end reports up, each once, in peer order. */
  links: Array<[string, string]>;
  /** Connected components of the live peers; dead and paused peers belong to none. */
  partitions: string[][];
}

/** The live overlay: running peers and the links they report, and its connected components. */
export function liveOverlay(peers: PeerState[], reported: Map<string, Set<string>>): Overlay {
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
  for (const a of [...adjacency.keys()].sort(byOrder)) {
    for (const b of [...adjacency.get(a)!].sort(byOrder)) if (byOrder(a, b) < 0) links.push([a, b]);
  }
  const partitions: string[][] = [];
  const placed = new Set<string>();
  for (const start of [...live].sort(byOrder)) {
    if (placed.has(start)) continue;
    const component: string[] = [];
    const queue = [start];
    placed.add(start);
    while (queue.length > 0) {
      const current = queue.shift()!;
      component.push(current);
      for (const next of adjacency.get(current)!) {
        if (placed.has(next)) continue;
        placed.add(next);
        queue.push(next);
      }
    }
    partitions.push(component.sort(byOrder));
  }
  return { links, partitions };
}

/** Partitions as text: "{alice} {carol, dave}", or "(no live peers)". */
export function partitionsText(partitions: string[][]): string {
  return partitions.length === 0 ? "(no live peers)" : partitions.map((group) => `{${group.join(", ")}}`).join(" ");
}
