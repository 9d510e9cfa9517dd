import { messageTextProblem } from "./message-text.js";

export const PROTOCOL_VERSION = 1;
/** A frame (one JSON line) longer than this closes the connection. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** What a peer may be called: `--name` and the hello's `name` alike. */
export const PEER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Printable ASCII except `"` and `\`: JSON carries it byte for byte. */
const PLAIN = /^[!#-[\]-~]*$/;

/** What a heal peer lists in its hello's `speaks`: it then takes the heal frames (HEAL_FRAME_TYPES). */
export const HEAL = "heal";

export interface HelloFrame {
  type: "hello";
  name: string;
  listen: string;
  version: number;
  /** Protocol additions the sender takes (`["heal"]`); absent from peers that know none. */
  speaks?: string[];
}
export interface MsgFrame {
  type: "msg";
  id: string;
  origin: string;
  text: string;
  hops: number;
}
/** A peer a heal peer can dial: its name and the address it advertises (`--advertise`). */
export interface Member {
  name: string;
  listen: string;
}
/** Membership gossip: a bounded sample of the peers the sender knows to be live, itself included. */
export interface MembersFrame {
  type: "members";
  peers: Member[];
}
/** Plumtree: "I have these messages", sent instead of the payload on a lazy link. */
export interface IhaveFrame {
  type: "ihave";
  ids: string[];
}
/** Plumtree: "send me these messages, and use this link for payloads from now on". */
export interface GraftFrame {
  type: "graft";
  ids: string[];
}
/** Plumtree: "this link brought a duplicate: send ids, not payloads, over it". */
export interface PruneFrame {
  type: "prune";
}
/** Plumtree's frames. */
export type ControlFrame = IhaveFrame | GraftFrame | PruneFrame;
/** The frames only a peer whose hello said `speaks: ["heal"]` is sent. */
export type HealFrame = MembersFrame | ControlFrame;
export type Frame = HelloFrame | MsgFrame | { type: "ping" } | { type: "pong" } | HealFrame;

/** Most entries in a `members` frame. */
export const MAX_MEMBERS = 64;
/** Most ids an `ihave` or `graft` carries: 64 of the longest ids are 13 KB, well under the frame limit. */
export const MAX_IDS_PER_FRAME = 64;
/** Most entries in a hello's `speaks`, and the longest one. */
const MAX_SPEAKS = 16;
const MAX_SPEAKS_LENGTH = 32;

/** The frames of protocol version 1 that every peer takes. */
export const BASE_FRAME_TYPES: ReadonlySet<string> = new Set(["hello", "msg", "ping", "pong"]);
/** What a peer that speaks heal takes as well; any other peer closes the link on them, as on any unknown type. */
export const HEAL_FRAME_TYPES: ReadonlySet<string> = new Set([
  ...BASE_FRAME_TYPES,
  "members",
  "ihave",
  "graft",
  "prune",
]);

/** Why a field's value is refused, or undefined when it is fine. */
type Rule = (value: unknown) => string | undefined;

const string =
  (check: (text: string) => string | undefined): Rule =>
  (value) =>
    typeof value === "string" ? check(value) : `expected string, received ${kindOf(value)}`;
const integer =
  (min = Number.MIN_SAFE_INTEGER): Rule =>
  (value) => {
    if (typeof value !== "number") return `expected int, received ${kindOf(value)}`;
    if (!Number.isSafeInteger(value)) return "expected int, received number";
    return value < min ? `Too small: expected number to be >=${min}` : undefined;
  };
/** An absent field passes; a present one obeys `rule`. */
const optional =
  (rule: Rule): Rule =>
  (value) =>
    value === undefined ? undefined : rule(value);
/** An array of `min` to `max` entries, each obeying `rule`; the first bad entry is named. */
const list =
  (max: number, rule: Rule, min = 0): Rule =>
  (value) => {
    if (!Array.isArray(value)) return `expected array, received ${kindOf(value)}`;
    if (value.length < min) return `Too small: expected array to have >=${min} items`;
    if (value.length > max) return `Too big: expected array to have <=${max} items`;
    for (const [index, entry] of value.entries()) {
      const problem = rule(entry);
      if (problem !== undefined) return `[${index}]: ${problem}`;
    }
    return undefined;
  };
/** An object whose `fields` obey their rules (other fields are ignored, and dropped by the reader). */
const object =
  (fields: Record<string, Rule>): Rule =>
  (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return `expected object, received ${kindOf(value)}`;
    }
    for (const [field, rule] of Object.entries(fields)) {
      const problem = rule((value as Record<string, unknown>)[field]);
      if (problem !== undefined) return `${field}: ${problem}`;
    }
    return undefined;
  };
const peerName = string((text) =>
  PEER_NAME.test(text) ? undefined : "expected letters, digits, '-', '_' or '.', at most 64",
);
const plain = (max: number, min = 0): Rule =>
  string((text) => {
    if (text.length < min) return `Too small: expected string to have >=${min} characters`;
    if (text.length > max) return `Too big: expected string to have <=${max} characters`;
    return PLAIN.test(text) ? undefined : "expected printable ASCII without spaces, quotes or backslashes";
  });

/*
 * Every field is bounded so that whatever a peer accepts, it can forward: re-encoding a frame
 * (invalid UTF-8 becomes U+FFFD, 3 bytes) must never push it past the next hop's frame limit.
 * Names, ids and addresses are plain ASCII (re-encoded byte for byte); the text obeys the
 * chat-message rule, which bounds its JSON encoding. Checked by hand, field by field in this
 * order, not with a schema library: the peer bundle stays small (it starts in every container)
 * and a frame is checked in a few hundred nanoseconds.
 */
const FIELDS: Record<Frame["type"], Record<string, Rule>> = {
  hello: {
    name: peerName,
    listen: plain(255),
    version: integer(),
    speaks: optional(list(MAX_SPEAKS, plain(MAX_SPEAKS_LENGTH, 1))),
  },
  msg: { id: plain(200, 1), origin: peerName, text: string(messageTextProblem), hops: integer(1) },
  ping: {},
  pong: {},
  members: { peers: list(MAX_MEMBERS, object({ name: peerName, listen: plain(255, 1) })) },
  ihave: { ids: list(MAX_IDS_PER_FRAME, plain(200, 1), 1) },
  graft: { ids: list(MAX_IDS_PER_FRAME, plain(200, 1), 1) },
  prune: {},
};

export function encodeFrame(frame: Frame): string {
  return `${JSON.stringify(frame)}\n`;
}

/** The line a received msg is forwarded as, to every onward link alike: `hops + 1`, the rest unchanged. */
export function encodeForward(frame: MsgFrame): string {
  return encodeFrame({ ...frame, hops: frame.hops + 1 });
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Validates one line of the wire; returns the frame or why it is not one. `types` are the frame
 * types this peer takes: any other is an unknown type, whether or not another mode knows it.
 */
export function parseFrame(
  line: string,
  types: ReadonlySet<string> = BASE_FRAME_TYPES,
): { frame: Frame } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: `invalid JSON: ${preview(line)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { error: `not a JSON object: ${preview(line)}` };
  }
  const fields = value as Record<string, unknown>;
  const type = fields.type;
  if (typeof type !== "string" || !types.has(type)) {
    return { error: `unknown frame type ${JSON.stringify(type ?? null)}` };
  }
  // Only the known fields are kept: unknown ones are ignored and never forwarded.
  const frame: Record<string, unknown> = { type };
  for (const [field, rule] of Object.entries(FIELDS[type as Frame["type"]])) {
    const problem = rule(fields[field]);
    if (problem !== undefined) return { error: `invalid ${type} frame: ${field}: ${problem}` };
    if (fields[field] !== undefined) frame[field] = fields[field];
  }
  return { frame: frame as Frame };
}

function preview(line: string): string {
  const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
  return JSON.stringify(shown);
}

/**
 * Splits a byte stream into newline-delimited frames. The first error ends the stream:
 * the caller closes that connection, so nothing after it is decoded.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private failed = false;

  /** `types`: the frame types this peer takes (parseFrame). */
  constructor(private readonly types: ReadonlySet<string> = BASE_FRAME_TYPES) {}

  push(chunk: Buffer): { frames: Frame[]; error?: string } {
    const frames: Frame[] = [];
    if (this.failed) return { frames };
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let newline: number;
    while ((newline = this.pending.indexOf(10)) !== -1) {
      const line = this.pending.subarray(0, newline);
      this.pending = this.pending.subarray(newline + 1);
      if (line.length > MAX_FRAME_BYTES) return this.fail(frames, `frame over ${MAX_FRAME_BYTES / 1024} KiB`);
      const text = line.toString("utf8").trim();
      if (text === "") continue;
      const parsed = parseFrame(text, this.types);
      if ("error" in parsed) return this.fail(frames, parsed.error);
      frames.push(parsed.frame);
    }
    if (this.pending.length > MAX_FRAME_BYTES) return this.fail(frames, `frame over ${MAX_FRAME_BYTES / 1024} KiB`);
    return { frames };
  }

  private fail(frames: Frame[], error: string): { frames: Frame[]; error: string } {
    this.failed = true;
    this.pending = Buffer.alloc(0);
    return { frames, error };
  }
}
