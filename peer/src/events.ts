import { z } from "zod";
import { EVERY_NEIGHBOUR } from "./delay-command.js";

/**
 * The events a peer prints on stdout, one JSON object per line: the transcript contract
 * that the orchestrator and the checker parse. Any peer implementation that prints these
 * lines can be plugged into the lab.
 */
const base = { ts: z.string(), peer: z.string() };
const message = { id: z.string(), origin: z.string(), hops: z.number().int() };

export const PeerEvent = z.discriminatedUnion("ev", [
  z.object({ ...base, ev: z.literal("listening"), port: z.number().int() }),
  z.object({ ...base, ev: z.literal("link-up"), neighbor: z.string(), addr: z.string(), dir: z.enum(["in", "out"]) }),
  z.object({ ...base, ev: z.literal("link-down"), neighbor: z.string(), reason: z.string() }),
  z.object({
    ...base,
    ev: z.literal("handshake-failed"),
    addr: z.string(),
    dir: z.enum(["in", "out"]),
    reason: z.string(),
  }),
  z.object({
    ...base,
    ev: z.literal("connect-failed"),
    target: z.string(),
    reason: z.string(),
    attempts: z.number().int(),
  }),
  z.object({
    ...base,
    ev: z.literal("sent"),
    id: z.string(),
    origin: z.string(),
    text: z.string(),
    to: z.array(z.string()),
    ref: z.string().optional(),
  }),
  z.object({ ...base, ...message, ev: z.literal("recv"), from: z.string(), text: z.string() }),
  z.object({ ...base, ...message, ev: z.literal("dup"), from: z.string() }),
  z.object({ ...base, ...message, ev: z.literal("hop-limit"), from: z.string() }),
  z.object({ ...base, ev: z.literal("write-error"), neighbor: z.string(), reason: z.string() }),
  z.object({ ...base, ev: z.literal("bad-frame"), neighbor: z.string(), reason: z.string() }),
  z.object({ ...base, ev: z.literal("slow-consumer"), neighbor: z.string(), queued: z.number().int() }),
  z.object({ ...base, ev: z.literal("peers"), neighbors: z.array(z.string()) }),
  z.object({
    ...base,
    ev: z.literal("delay"),
    neighbor: z.string(),
    ms: z.number().int(),
    jitterMs: z.number().int(),
  }),
  z.object({ ...base, ev: z.literal("exit"), code: z.number().int(), reason: z.string() }),
]);

export type PeerEvent = z.infer<typeof PeerEvent>;
export type PeerEventName = PeerEvent["ev"];
/** An event as the peer builds it, before the time and its own name are stamped on. */
export type PeerEventBody = PeerEvent extends infer E ? (E extends PeerEvent ? Omit<E, "ts" | "peer"> : never) : never;

/** Parses one stdout line; undefined for lines that are not events (a foreign peer's chatter). */
export function parseEventLine(line: string): PeerEvent | undefined {
  const start = line.indexOf("{");
  if (start === -1) return undefined;
  try {
    const result = PeerEvent.safeParse(JSON.parse(line.slice(start)));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

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
      return `${me} ⇄ ${event.neighbor}: link up (${event.dir === "out" ? "connected to" : "accepted from"} ${event.addr})`;
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
    case "exit":
      return `${me} exiting (${event.reason}, code ${event.code})`;
  }
}
