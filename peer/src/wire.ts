import { z } from "zod";
import { messageTextProblem } from "./message-text.js";

export const PROTOCOL_VERSION = 1;
/** A frame (one JSON line) longer than this closes the connection. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** What a peer may be called: `--name` and the hello's `name` alike. */
export const PEER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const peerName = z.string().regex(PEER_NAME, "expected letters, digits, '-', '_' or '.', at most 64");
/** Printable ASCII except `"` and `\`: JSON carries it byte for byte. */
const plain = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[!#-[\]-~]*$/, "expected printable ASCII without spaces, quotes or backslashes");
const messageText = z.string().superRefine((text, ctx) => {
  const problem = messageTextProblem(text);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/*
 * Every field is bounded so that whatever a peer accepts, it can forward: re-encoding a frame
 * (invalid UTF-8 becomes U+FFFD, 3 bytes) must never push it past the next hop's frame limit.
 * Names, ids and addresses are plain ASCII (re-encoded byte for byte); the text obeys the
 * chat-message rule, which bounds its JSON encoding.
 */
export const HelloFrame = z.object({
  type: z.literal("hello"),
  name: peerName,
  listen: plain(255),
  version: z.number().int(),
});

export const MsgFrame = z.object({
  type: z.literal("msg"),
  id: plain(200).min(1),
  origin: peerName,
  text: messageText,
  hops: z.number().int().min(1),
});

export const PingFrame = z.object({ type: z.literal("ping") });
export const PongFrame = z.object({ type: z.literal("pong") });

export const Frame = z.discriminatedUnion("type", [HelloFrame, MsgFrame, PingFrame, PongFrame]);

export type HelloFrame = z.infer<typeof HelloFrame>;
export type MsgFrame = z.infer<typeof MsgFrame>;
export type Frame = z.infer<typeof Frame>;

const FRAME_TYPES = new Set<string>(Frame.options.map((option) => option.shape.type.value));

export function encodeFrame(frame: Frame): string {
  return `${JSON.stringify(frame)}\n`;
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
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !FRAME_TYPES.has(type)) {
    return { error: `unknown frame type ${JSON.stringify(type ?? null)}` };
  }
  const result = Frame.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { error: `invalid ${type} frame: ${issue.path.join(".") || "frame"}: ${issue.message}` };
  }
  return { frame: result.data };
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
