import { formatDuration } from "../../../peer/src/duration.js";
import type { PeerEvent } from "../../../peer/src/events.js";
import { describeStatus, reportedNeighbors, type PeerState } from "../check/overlay.js";
import { isBlocked } from "../faults/network-faults.js";
import { PROCESS_FAULTS, type ReturningFault } from "../faults/process-faults.js";
import { linkKey } from "../topology/link-key.js";
import { peerLineReader, type PeerLine } from "../transcript/transcript.js";
import { Nudge, waitFor, WaitTimeoutError } from "../wait.js";
import { followPeers, type FollowedPeer } from "./follow.js";
import type { Lab, LabSnapshot } from "./lab.js";

/** How long a restarted, started or resumed peer's links may take to come back. */
export const LINKS_BACK_TIMEOUT_MS = 15_000;

/** One configured link of the peer acted on: back after the action, or why not. */
export interface LinkBack {
  link: [string, string];
  back: boolean;
  /** Why it is not back, in words. */
  why?: string;
}

/** "bob–alice", or "bob–carol (carol dialled it, …)" when it is not back. */
export function describeLinkBack({ link: [a, b], back, why }: LinkBack): string {
  return back ? `${a}–${b}` : `${a}–${b} (${why})`;
}

/** What to wait for: the links that should come back, and why each other link should not. */
export interface LinksExpected {
  awaited: Array<[string, string]>;
  notExpected: Map<string, string>;
}

const NOT_REDIALLED = "a link that went down is not dialled again (peer/PROTOCOL.md §6)";

/**
 * Pure: a restarted or started peer dials its own --connect targets again, and nothing dials it
 * back; a resumed peer keeps the links its neighbours kept while it was frozen. A link whose other
 * end is not running, or whose packets the network faults in force drop, comes back in neither case. `links` are the configured [dialler, target] pairs.
 */
export function expectedLinks(
  links: Array<[string, string]>,
  peer: string,
  action: ReturningFault,
  states: PeerState[],
  before: LabSnapshot,
): LinksExpected {
  const awaited: Array<[string, string]> = [];
  const notExpected = new Map<string, string>();
  for (const link of links) {
    const [dialler, target] = link;
    if (dialler !== peer && target !== peer) continue;
    const other = dialler === peer ? target : dialler;
    const state = states.find((s) => s.name === other);
    if (state?.status !== "running") {
      notExpected.set(linkKey(...link), `${other} is ${state ? describeStatus(state) : "not in the lab"}`);
    } else if (isBlocked(before.network, peer, other) || isBlocked(before.network, other, peer)) {
      const cut = before.network.cuts.some(({ from, to }) => [from, to].includes(peer) && [from, to].includes(other));
      notExpected.set(
        linkKey(...link),
        `the network drops packets between ${peer} and ${other} (${cut ? `lab link ${peer} ${other}` : "lab heal"})`,
      );
    } else if (PROCESS_FAULTS[action].linksBack === "same process") {
      if (before.peers.find((p) => p.name === other)?.neighbors.includes(peer)) awaited.push(link);
      else notExpected.set(linkKey(...link), `${other} dropped it while ${peer} was paused, and ${NOT_REDIALLED}`);
    } else if (dialler === peer) {
      awaited.push(link);
    } else {
      notExpected.set(linkKey(...link), `${other} dialled it, and ${NOT_REDIALLED}`);
    }
  }
  return { awaited, notExpected };
}

/**
 * Pure: whether both ends report each awaited link. With `since` (a restart or start), only what
 * was printed from then on counts, and the peer must have started listening again.
 */
export function linksAreBack(
  events: PeerEvent[],
  peer: string,
  awaited: Array<[string, string]>,
  since?: string,
): boolean {
  const counted = since === undefined ? events : events.filter((event) => event.ts >= since);
  if (since !== undefined && !counted.some((event) => event.peer === peer && event.ev === "listening")) return false;
  const reported = reportedNeighbors(counted);
  return awaited.every(([a, b]) => reported.get(a)?.has(b) && reported.get(b)?.has(a));
}

/** Pure: each configured link of the peer, back when the overlay after the action has it. */
export function linksBackAfter(
  links: Array<[string, string]>,
  peer: string,
  expected: LinksExpected,
  after: LabSnapshot,
  timeoutMs: number,
): LinkBack[] {
  const live = new Set(after.overlay.links.map((link) => linkKey(...link)));
  const self = after.peers.find((p) => p.name === peer);
  return links
    .filter(([a, b]) => a === peer || b === peer)
    .map((link) => {
      if (live.has(linkKey(...link))) return { link, back: true };
      const why =
        self && self.status !== "running"
          ? `${peer} is ${describeStatus(self)}`
          : (expected.notExpected.get(linkKey(...link)) ??
            `not reported up by both ends within ${formatDuration(timeoutMs)}`);
      return { link, back: false, why };
    });
}

/**
 * Waits, following the logs of the peer and its awaited neighbours, until every awaited link is
 * reported by both ends, the peer's container stops, or the timeout passes (then linksBackAfter
 * names each link not back, and why). Ctrl-C ends the wait by rejecting with the signal's reason.
 */
export async function awaitLinks(
  lab: Lab,
  peer: string,
  awaited: Array<[string, string]>,
  since: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  if (awaited.length === 0 && since === undefined) return;
  const { peers } = await lab.containers();
  const running = (names: string[]): Map<string, FollowedPeer> =>
    new Map(
      names.flatMap((name) => {
        const info = peers.get(name);
        if (info?.state !== "running") return [];
        return [[name, { id: info.id, reader: peerLineReader(lab.topology, name, [info.startedAt]) }] as const];
      }),
    );
  const neighbours = [...new Set(awaited.flat())].filter((name) => name !== peer);
  const events: PeerEvent[] = [];
  const nudge = new Nudge();
  let done = false;
  const onLine = (line: PeerLine): void => {
    if (!line.event || done) return;
    events.push(line.event);
    if (linksAreBack(events, peer, awaited, since)) {
      done = true;
      nudge.poke();
    }
  };
  const stop = new AbortController();
  // The peer's own stream ends when its container stops: nothing more comes back then.
  const peerStream = followPeers(lab.runtime, running([peer]), onLine, stop.signal).finally(() => {
    done = true;
    nudge.poke();
  });
  const neighbourStreams = followPeers(lab.runtime, running(neighbours), onLine, stop.signal);
  try {
    await waitFor(() => done || undefined, {
      what: `the links of ${peer} back`,
      // Nothing to poll: the streams nudge the wait.
      intervalMs: timeoutMs,
      timeoutMs,
      signal,
      nudge,
    });
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
  } finally {
    stop.abort();
    await Promise.all([peerStream, neighbourStreams]);
  }
}
