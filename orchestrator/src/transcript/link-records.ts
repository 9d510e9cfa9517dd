import { z } from "zod";

/**
 * Where the lab learns a peer's links. The reference peer prints its own `link-up`/`link-down`
 * events; a program that reports none is observed from outside.
 * - "events": the peer's own link events.
 * - "tcp-table": the established TCP connections in its network namespace, read by the lab.
 * - "configured": its configured links to peers that are running, when its table could not be
 *   read (a guess, said as one).
 */
export const LINK_SOURCES = ["events", "tcp-table", "configured"] as const;
export type LinkSource = (typeof LINK_SOURCES)[number];

/** The sources the lab itself observes (as opposed to a peer's own events). */
export const OBSERVED_LINK_SOURCES = ["tcp-table", "configured"] as const;
export type ObservedLinkSource = (typeof OBSERVED_LINK_SOURCES)[number];

const SOURCE_LABELS: Record<LinkSource, string> = {
  events: "own link events",
  "tcp-table": "TCP table",
  configured: "configured links",
};

/** "TCP table": a source as status and the reports name it. */
export function linkSourceLabel(source: LinkSource): string {
  return SOURCE_LABELS[source];
}

/**
 * A peer's links as the lab observed them from outside, when they changed: in the timeline beside
 * the peers' own link events (as `"peer": "lab"`, `"ev": "links"`), so status, the checker and
 * the reports read the links of any program the same way. Written to the lab's journal, like its
 * actions, so every command and `down` find them.
 */
export interface LinkRecord {
  /** When the observation began. */
  ts: string;
  peer: "lab";
  ev: "links";
  /** The peer whose links these are. */
  target: string;
  /** Its neighbours now, in topology order: the whole state, so one record is enough to know it. */
  neighbors: string[];
  /** Since the previous record of this peer: the links that came up and went down. */
  up: string[];
  down: string[];
  source: ObservedLinkSource;
  /** "configured": why its table could not be read. */
  reason?: string;
}

const name = z.string().min(1);

const linkRecordSchema = z.object({
  ts: z.string(),
  peer: z.literal("lab"),
  ev: z.literal("links"),
  target: name,
  neighbors: z.array(name),
  up: z.array(name),
  down: z.array(name),
  source: z.enum(OBSERVED_LINK_SOURCES),
  reason: z.string().optional(),
}) satisfies z.ZodType<LinkRecord>;

export function encodeLinkRecord(record: LinkRecord): string {
  return JSON.stringify(record);
}

/** A journal line that is a link record; undefined for anything else (an action, a stray line). */
export function parseLinkRecord(text: string): LinkRecord | undefined {
  try {
    const parsed = linkRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A peer's links as one observation found them. */
export interface ObservedLinks {
  source: ObservedLinkSource;
  neighbors: string[];
  reason?: string;
}

/** The record of what changed since `previous` (the peer's latest record); undefined when nothing did. */
export function nextLinkRecord(
  previous: LinkRecord | undefined,
  ts: string,
  target: string,
  seen: ObservedLinks,
): LinkRecord | undefined {
  const before = previous?.neighbors ?? [];
  const record: LinkRecord = {
    ts,
    peer: "lab",
    ev: "links",
    target,
    neighbors: seen.neighbors,
    up: seen.neighbors.filter((neighbor) => !before.includes(neighbor)),
    down: before.filter((neighbor) => !seen.neighbors.includes(neighbor)),
    source: seen.source,
    ...(seen.reason === undefined ? {} : { reason: seen.reason }),
  };
  const unchanged =
    previous !== undefined &&
    record.up.length === 0 &&
    record.down.length === 0 &&
    previous.source === record.source &&
    previous.reason === record.reason;
  return unchanged ? undefined : record;
}

/** The journal's link records and those this process recorded itself, each once, by time. */
export function mergeLinkRecords(journalled: LinkRecord[], own: LinkRecord[]): LinkRecord[] {
  const known = new Set(journalled.map(encodeLinkRecord));
  return [...journalled, ...own.filter((record) => !known.has(encodeLinkRecord(record)))].sort((a, b) =>
    a.ts.localeCompare(b.ts),
  );
}

/** "lab: bob's TCP table: links up alice, carol; now alice, carol". */
export function describeLinkRecord(record: LinkRecord): string {
  const list = (names: string[]): string => (names.length ? names.join(", ") : "none");
  const changes = [
    record.up.length ? `up ${record.up.join(", ")}` : undefined,
    record.down.length ? `down ${record.down.join(", ")}` : undefined,
  ].filter((change) => change !== undefined);
  const what = `${changes.length ? `links ${changes.join("; ")}` : "links unchanged"}; now ${list(record.neighbors)}`;
  return record.source === "tcp-table"
    ? `lab: ${record.target}'s TCP table: ${what}`
    : `lab: ${record.target}'s configured links to running peers (${record.reason ?? "its TCP table was not read"}): ${what}`;
}
