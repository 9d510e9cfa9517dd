import { messageTextProblem } from "./message-text.js";

export const PROTOCOL_VERSION = 1;
/** The extension heal peers list in their hello's `speaks`. */
export const HEAL = "heal";
/** A frame (one JSON line) longer than this closes the connection. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** What a peer may be called: `--name` and the hello's `name` alike. */
export const PEER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Printable ASCII except `"` and `\`: JSON carries it byte for byte. */
const PLAIN = /^[!#-[\]-~]*$/;

export interface HelloFrame {
  type: "hello";
  name: string;
  listen: string;
  version: number;
  /** The extensions the sender speaks (`heal`); absent: none. A peer sends an extension's frames only to neighbours that list it. */
  speaks?: string[];
}
export interface MsgFrame {
  type: "msg";
  id: string;
  origin: string;
  text: string;
  hops: number;
}
/** Heal peers (Plumtree): "I have these messages", sent instead of the payload on a lazy link. */
export interface IhaveFrame {
  type: "ihave";
  ids: string[];
}
/** Heal peers (Plumtree): "send me these messages, and use this link for payloads from now on". */
export interface GraftFrame {
  type: "graft";
  ids: string[];
}
/** Heal peers (Plumtree): "this link brought a duplicate: send ids, not payloads, over it". */
export interface PruneFrame {
  type: "prune";
}
/** The frames a heal peer sends only to neighbours whose hello listed `heal`. */
export type ControlFrame = IhaveFrame | GraftFrame | PruneFrame;
export type Frame = HelloFrame | MsgFrame | ControlFrame | { type: "ping" } | { type: "pong" };

/** Why a field's value is refused, or undefined when it is fine. */
type Rule = (value: unknown) => string | undefined;

/** A field that may be absent: checked only when present, and kept only then. */
const OPTIONAL = Symbol("optional");
type FieldRule = Rule | { [OPTIONAL]: Rule };
const optional = (rule: Rule): FieldRule => ({ [OPTIONAL]: rule });

/** Most extensions a hello may list. */
export const MAX_SPEAKS = 16;
/** Most ids an `ihave` or `graft` carries: 64 of the longest ids are 13 KB, well under the frame limit. */
export const MAX_IDS_PER_FRAME = 64;

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
const peerName = string((text) =>
  PEER_NAME.test(text) ? undefined : "expected letters, digits, '-', '_' or '.', at most 64",
);
const list =
  (max: number, item: Rule, min = 0): Rule =>
  (value) => {
    if (!Array.isArray(value)) return `expected array, received ${kindOf(value)}`;
    if (value.length < min) return `Too small: expected array to have >=${min} items`;
    if (value.length > max) return `Too big: expected array to have <=${max} items`;
    for (const [i, element] of value.entries()) {
      const problem = item(element);
      if (problem !== undefined) return `[${i}]: ${problem}`;
    }
    return undefined;
  };
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
const FIELDS: Record<Frame["type"], Record<string, FieldRule>> = {
  hello: { name: peerName, listen: plain(255), version: integer(), speaks: optional(list(MAX_SPEAKS, plain(32, 1))) },
  msg: { id: plain(200, 1), origin: peerName, text: string(messageTextProblem), hops: integer(1) },
  ihave: { ids: list(MAX_IDS_PER_FRAME, plain(200, 1), 1) },
  graft: { ids: list(MAX_IDS_PER_FRAME, plain(200, 1), 1) },
  prune: {},
  ping: {},
  pong: {},
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

/** Validates one line of the wire; returns the frame or why it is not one. */
export function parseFrame(line: string): { frame: Frame } | { error: string } {
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
  if (typeof type !== "string" || !Object.hasOwn(FIELDS, type)) {
    return { error: `unknown frame type ${JSON.stringify(type ?? null)}` };
  }
  // Only the known fields are kept: unknown ones are ignored and never forwarded.
  const frame: Record<string, unknown> = { type };
  for (const [field, rule] of Object.entries(FIELDS[type as Frame["type"]])) {
    const value = fields[field];
    const isOptional = typeof rule !== "function";
    if (isOptional && value === undefined) continue;
    const problem = (isOptional ? rule[OPTIONAL] : rule)(value);
    if (problem !== undefined) return { error: `invalid ${type} frame: ${field}: ${problem}` };
    frame[field] = value;
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
      const parsed = parseFrame(text);
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
