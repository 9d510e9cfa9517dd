import { z } from "zod";

/**
 * The events a peer prints on stdout, one JSON object per line: the transcript contract
 * that the orchestrator and the checker parse. Any peer implementation that prints these
 * lines can be plugged into the lab.
 */
/** `tsUs`: the same moment as `ts` in microseconds since the Unix epoch; optional (see PROTOCOL.md §8). */
const base = { ts: z.string(), tsUs: z.number().int().optional(), peer: z.string() };
const message = { id: z.string(), origin: z.string(), hops: z.number().int() };

export const PeerEvent = z.discriminatedUnion("ev", [
  z.object({ ...base, ev: z.literal("listening"), port: z.number().int() }),
  z.object({
    ...base,
    ev: z.literal("link-up"),
    neighbor: z.string(),
    addr: z.string(),
    dir: z.enum(["in", "out"]),
    /** A link a heal peer dialled on its own, to repair (peer/PROTOCOL.md §10). */
    repair: z.boolean().optional(),
  }),
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
  z.object({ ...base, ev: z.literal("crash-handler"), reason: z.string(), action: z.string() }),
  z.object({ ...base, ev: z.literal("exit"), code: z.number().int(), reason: z.string() }),
]);

export type PeerEvent = z.infer<typeof PeerEvent>;
export type PeerEventName = PeerEvent["ev"];
/** An event as the peer builds it, before the time and its own name are stamped on. */
export type PeerEventBody = PeerEvent extends infer E
  ? E extends PeerEvent
    ? Omit<E, "ts" | "tsUs" | "peer">
    : never
  : never;

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

export { clockTime, describeEvent, formatEvent } from "./event-format.js";
