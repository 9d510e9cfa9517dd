import { EVERY_NEIGHBOUR } from "./delay-command.js";
import type { PeerEvent } from "./events.js";

/*
 * The events as people read them (`--events text`, transcripts). Apart from the event schema in
 * events.ts, which only the lab parses with: the peer prints events and never parses them, so
 * its bundle leaves the schema out and starts faster.
 */

/** `12:00:01.123` from an ISO timestamp. */
export function clockTime(ts: string): string {
  return ts.slice(11, 23);
}

/** One readable line, as `--events text` prints it. */
export function formatEvent(event: PeerEvent): string {
  return `${clockTime(event.ts)}  ${describeEvent(event)}`;
}

export function describeEvent(event: PeerEvent): string {
  const me = event.peer;
  switch (event.ev) {
    case "listening":
      return `${me} listening on port ${event.port}`;
    case "link-up":
      return `${me} ⇄ ${event.neighbor}: ${event.repair ? "repair " : ""}link up (${event.dir === "out" ? "connected to" : "accepted from"} ${event.addr})`;
    case "link-down":
      return `${me} ✕ ${event.neighbor}: link down (${event.reason})`;
    case "handshake-failed":
      return `${me} ✕ ${event.addr}: ${event.dir === "out" ? "outgoing" : "incoming"} connection closed before hello (${event.reason})`;
    case "connect-failed":
      return `${me} gave up connecting to ${event.target} after ${event.attempts} attempts (${event.reason})`;
    case "sent":
      return `${me} → ${event.to.length ? event.to.join(", ") : "nobody"}: ${event.text}`;
    case "recv":
      return `${me} ← ${event.from}: ${event.text} (from ${event.origin}, ${event.hops} ${event.hops === 1 ? "hop" : "hops"})`;
    case "dup":
      return `${me} ← ${event.from}: duplicate ${event.id} dropped (${event.hops} hops)`;
    case "hop-limit":
      return `${me} ← ${event.from}: ${event.id} reached the hop limit at ${event.hops} hops, not forwarded`;
    case "write-error":
      return `${me} → ${event.neighbor}: write failed (${event.reason})`;
    case "bad-frame":
      return `${me} ✕ ${event.neighbor}: bad frame (${event.reason})`;
    case "slow-consumer":
      return `${me} ✕ ${event.neighbor}: not reading, dropped with ${event.queued} bytes unsent`;
    case "peers":
      return `${me} neighbours: ${event.neighbors.length ? event.neighbors.join(", ") : "none"}`;
    case "delay": {
      const to = event.neighbor === EVERY_NEIGHBOUR ? "every neighbour" : event.neighbor;
      if (event.ms === 0) return `${me} stops delaying frames to ${to}`;
      return `${me} delays frames to ${to} by ${event.ms} ms${event.jitterMs > 0 ? ` ± ${event.jitterMs} ms` : ""}`;
    }
    case "crash-handler":
      return `${me} crash handler (${event.reason}): ${event.action}`;
    case "exit":
      return `${me} exiting (${event.reason}, code ${event.code})`;
  }
}
