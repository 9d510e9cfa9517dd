import { describeAction } from "../transcript/journal.js";
import type { PeerSpec, Topology } from "../topology/schema.js";
import type { TimelineRecord } from "../transcript/transcript.js";
import { silencesLinks } from "./detection.js";
import type { BroadcastCost, CostSummary, MessageResult, ModeCost, Repair, Spread } from "./run-report.js";

/** A broadcast as the cost needs it: its id, its sender, the peers that should have received it. */
export type Broadcast = Pick<MessageResult, "id" | "origin" | "reachable">;

/** The label of a peer that runs a program of its own: its `mode` setting means nothing to it. */
export const OWN_PROGRAM = "own program";

/**
 * What each broadcast cost on the wire, counted from the transcripts, not from any peer's claim:
 * every payload frame a peer received printed one `recv` or one `dup` (peer/PROTOCOL.md), so the
 * frames of a message are its `recv` and `dup` events over all peers, against the floor N − 1
 * (the peers that should have received it: the checker's reachable peers). Flooding pays about
 * twice the links; a spanning tree pays the floor.
 */
export function broadcastCosts(
  broadcasts: readonly Broadcast[],
  records: readonly TimelineRecord[],
): Array<Omit<BroadcastCost, "mode">> {
  const wanted = new Set(broadcasts.map((broadcast) => broadcast.id));
  const copies = new Map<string, { frames: number; receivers: Set<string>; hopLimitDrops: number }>();
  for (const record of records) {
    if (record.ev !== "recv" && record.ev !== "dup" && record.ev !== "hop-limit") continue;
    if (!wanted.has(record.id)) continue;
    const seen = copies.get(record.id) ?? { frames: 0, receivers: new Set<string>(), hopLimitDrops: 0 };
    copies.set(record.id, seen);
    if (record.ev === "hop-limit") seen.hopLimitDrops += 1;
    else seen.frames += 1;
    if (record.ev === "recv") seen.receivers.add(record.peer);
  }
  return broadcasts.map((broadcast) => {
    const seen = copies.get(broadcast.id);
    const firstCopies = seen ? [...seen.receivers].filter((peer) => peer !== broadcast.origin).length : 0;
    const frames = seen?.frames ?? 0;
    return {
      id: broadcast.id,
      origin: broadcast.origin,
      frames,
      floor: broadcast.reachable.length,
      duplicates: frames - firstCopies,
      hopLimitDrops: seen?.hopLimitDrops ?? 0,
    };
  });
}

/** A broadcast's frames as a multiple of its floor; undefined when it had no peer to reach. */
export function costRatio(cost: Pick<BroadcastCost, "frames" | "floor">): number | undefined {
  return cost.floor === 0 ? undefined : cost.frames / cost.floor;
}

/** The cost tile of a run: every message's cost, summed up by its sender's mode, and heal mode's repairs. */
export function costSummary(
  topology: Topology,
  messages: readonly Broadcast[],
  records: readonly TimelineRecord[],
): CostSummary {
  const modes = new Map(topology.peers.map((peer) => [peer.name, modeOf(peer)]));
  const broadcasts = broadcastCosts(messages, records).map(({ id, origin, ...counts }): BroadcastCost => ({
    id,
    origin,
    mode: modes.get(origin) ?? OWN_PROGRAM,
    ...counts,
  }));
  const byMode = [...new Set(broadcasts.map((cost) => cost.mode))].map((mode) =>
    modeCost(
      mode,
      broadcasts.filter((cost) => cost.mode === mode),
    ),
  );
  return { mixed: new Set(modes.values()).size > 1, byMode, broadcasts, repairs: repairsOf(records) };
}

/** The mode a peer broadcasts in: its `mode`, unless it runs a program of its own. */
function modeOf(peer: PeerSpec): string {
  const ownProgram = peer.image !== undefined || peer.build !== undefined || peer.command !== undefined;
  return ownProgram ? OWN_PROGRAM : peer.mode;
}

function modeCost(mode: string, costs: BroadcastCost[]): ModeCost {
  const ratios = costs.flatMap((cost) => {
    const ratio = costRatio(cost);
    return ratio === undefined ? [] : [ratio];
  });
  const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
  return {
    mode,
    broadcasts: costs.length,
    frames: spread(costs.map((cost) => cost.frames)),
    floor: spread(costs.map((cost) => cost.floor)),
    ...(ratios.length > 0 ? { ratio: spread(ratios) } : {}),
    duplicates: sum(costs.map((cost) => cost.duplicates)),
    hopLimitDrops: sum(costs.map((cost) => cost.hopLimitDrops)),
  };
}

/** Min, median (the mean of the middle two for an even count) and max, to 3 decimals. */
export function spread(values: number[]): Spread {
  if (values.length === 0) return { min: 0, median: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return { min: round(sorted[0]!), median: round(median), max: round(sorted.at(-1)!) };
}

/**
 * The links heal peers dialled on their own, each with what it followed: the latest lab action
 * before it that silenced links, and the repairing peer's latest `link-down` before it. The first
 * gives the time to repair as the experiment sees it (detection included), the second the peer's
 * own reaction once it noticed.
 */
export function repairsOf(records: readonly TimelineRecord[]): Repair[] {
  return records.flatMap((record, index): Repair[] => {
    if (record.ev !== "link-up" || record.repair !== true) return [];
    const earlier = records.slice(0, index);
    const loss = earlier.findLast((before) => before.ev === "action" && silencesLinks(before));
    const linkDown = earlier.findLast((before) => before.ev === "link-down" && before.peer === record.peer);
    const since = (before: TimelineRecord, description: string) => ({
      description,
      at: before.ts,
      afterMs: Date.parse(record.ts) - Date.parse(before.ts),
    });
    return [
      {
        peer: record.peer,
        neighbor: record.neighbor,
        at: record.ts,
        ...(loss?.ev === "action" ? { loss: since(loss, describeAction(loss)) } : {}),
        ...(linkDown?.ev === "link-down"
          ? { linkDown: since(linkDown, `${linkDown.peer} lost ${linkDown.neighbor} (${linkDown.reason})`) }
          : {}),
      },
    ];
  });
}
