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
export type ObservedLinkSource = Exclude<LinkSource, "events">;

const SOURCE_WORDS: Record<LinkSource, string> = {
  events: "its own link events",
  "tcp-table": "its TCP table",
  configured: "its configured links",
};

/** "its TCP table", for sentences about a peer's links. */
export function describeLinkSource(source: LinkSource): string {
  return SOURCE_WORDS[source];
}
