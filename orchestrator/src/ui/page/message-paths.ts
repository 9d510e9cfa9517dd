import type { Point } from "../../report/overlay-svg.js";
import type { UiFeedItem } from "../protocol.js";

/** A copy of a message crossing one link: from the peer that sent it to the one that got it. */
export interface Hop {
  from: Point;
  to: Point;
  /** A duplicate dropped on arrival: drawn in another colour. */
  duplicate: boolean;
}

/** At most this many dots move at once; more are dropped, so a flood does not freeze the page. */
export const MAX_DOTS = 50;

/**
 * The hops to animate for a batch of feed lines, pure: each `recv` or `dup` from a neighbour the
 * drawing places, while fewer than MAX_DOTS are moving (`moving` now).
 */
export function hopsToAnimate(items: UiFeedItem[], positions: Map<string, Point>, moving: number): Hop[] {
  const hops: Hop[] = [];
  for (const item of items) {
    if (moving + hops.length >= MAX_DOTS) break;
    const event = item.event;
    if (event?.ev !== "recv" && event?.ev !== "dup") continue;
    const from = positions.get(event.from);
    const to = positions.get(item.peer);
    if (from && to && from !== to) hops.push({ from, to, duplicate: event.ev === "dup" });
  }
  return hops;
}
