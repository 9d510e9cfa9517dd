import { createHash } from "node:crypto";
import type { PeerEvent } from "../../../peer/src/events.js";
import { closest } from "../did-you-mean.js";
import { stripTerminalCodes } from "../terminal-codes.js";

/**
 * How the lab reads a program that does not print the reference peer's JSON events
 * (`interface: stdio`): regular expressions on its output. Each is JavaScript syntax without
 * flags, matched against one line at a time, after ANSI escape codes and carriage returns are
 * removed.
 */
export interface StdioInterface {
  /**
   * A line meaning "listening", matched once per process. It may capture the port the program
   * chose: `(?<port>\d+)`. Absent: the first non-blank line, the port being the lab's `{port}`.
   */
  ready?: string;
  /** A line showing a received message: captures `text`, and optionally `from` (who wrote it). Absent: DEFAULT_RECEIVED. */
  received?: string;
  /** The program's echo of a line typed into it, capturing `text`; absent: it prints none. */
  sent?: string;
  /** Which output the expressions are matched on (default stdout); lines of the other are kept, unmatched. */
  stream?: (typeof STDIO_STREAMS)[number];
}

export const STDIO_STREAMS = ["stdout", "stderr", "both"] as const;

export type OutputStream = "stdout" | "stderr";

/** A whole line of output, as the runtime's `logs` gives it. */
export interface OutputLine {
  /** When it was printed (the engine's time), ISO. */
  ts: string;
  stream: OutputStream;
  text: string;
}

/** Output as it arrives from a pipe: bytes, cut anywhere, even inside a character. */
export interface OutputChunk {
  ts: string;
  stream: OutputStream;
  bytes: Uint8Array;
}

/** A line that meant something: the event it stands for, and the line as a terminal shows it. */
export interface MatchedLine extends OutputLine {
  event: PeerEvent;
}

/** A line that matched nothing: kept as printed, for the readable `.txt` transcript. */
export interface UnmatchedLine extends OutputLine {
  event?: undefined;
}

export type AdaptedLine = MatchedLine | UnmatchedLine;

export interface StdioAdapterOptions {
  /** The peer's name: the events' `peer`, and the origin of what it sends. */
  peer: string;
  /** The port the lab gave it (`{port}`); the listening port when its ready line captures none. */
  port?: number;
  /** The lab's peer names: under DEFAULT_RECEIVED, only a line from one of them is a message. */
  peers: readonly string[];
}

/** A problem in an `interface:` block; `path` is from that block, e.g. `["received"]`. */
export interface StdioProblem {
  path: Array<keyof StdioInterface>;
  message: string;
  hint?: string;
}

/**
 * What received lines look like when `received` is not given: `name: text`, `[name] text`,
 * `<name> text`, after any `> ` prompts. `name` must be one of the lab's peers, so that
 * `Error: connection refused` is not a message from "Error".
 */
export const DEFAULT_RECEIVED = [
  /^(?:> ?)*(?<from>[\w.-]+): (?<text>.*)$/,
  /^(?:> ?)*\[(?<from>[\w.-]+)\] ?(?<text>.*)$/,
  /^(?:> ?)*<(?<from>[\w.-]+)> ?(?<text>.*)$/,
];

/**
 * Who passed a message on, and who wrote it when the program does not say: a program's output
 * names neither its neighbours nor, always, a message's author. Not a peer name (names are
 * `[a-z0-9-]`), so it matches none.
 */
export const UNKNOWN_PEER = "?";

/**
 * The id of a message to and from a program that has no ids: made from its text alone (spaces
 * at either end ignored, as programs often trim or keep them), so the lab, which knows what it
 * typed and into whom, gives its `sent` event the id every reception of that text gets. Two
 * messages with the same text are therefore one message to the checker: a scenario for foreign
 * programs sends distinct texts.
 */
export function foreignMessageId(text: string): string {
  return `text-${createHash("sha256").update(text.trim()).digest("hex").slice(0, 12)}`;
}

const NEWLINE = 0x0a;
/**
 * A line longer than this is cut (at a character boundary), as the engine cuts its log lines at
 * 16 KiB: a program that never ends its line holds no more than this in memory.
 */
export const MAX_LINE_BYTES = 16 * 1024;

/** The bytes of one stream's unfinished line. */
interface OpenLine {
  parts: Buffer[];
  bytes: number;
  /** The time of its last chunk. */
  ts: string;
}

interface Expressions {
  ready?: RegExp;
  received: RegExp[];
  sent?: RegExp;
}

/**
 * One foreign program's output → the lab's events (PeerEvent, as the reference peer prints
 * them), per process:
 * - its ready line → `listening` with the captured port, or the lab's `{port}`;
 * - its echo of a typed line → `sent` (origin itself, `to` empty: it does not say);
 * - a received line → `recv`, `origin` the captured `from` (UNKNOWN_PEER without one), `from`
 *   UNKNOWN_PEER (a program does not say which neighbour passed it on), `hops` 0 (unknown; a
 *   real hop count is at least 1), id foreignMessageId(text);
 * - anything else → an unmatched line, kept for the readable transcript.
 * Matching order: ready (until seen), sent, received. Each line's time is the one it was
 * printed at, passed in; nothing here reads a clock.
 *
 * Give it whole lines (`adaptLine`, what the runtime's logs give), or raw bytes (`push`): bytes,
 * not strings, because a chunk may end inside a character; a line is decoded once whole (invalid
 * UTF-8 becomes U+FFFD), and carries the time of the chunk that ended it — when a reader saw it
 * whole, which is what a message's latency is measured to.
 */
export class StdioAdapter {
  private readonly expressions: Expressions;
  private readonly streams: ReadonlySet<OutputStream>;
  /** Under DEFAULT_RECEIVED, the names a message may come from; undefined: the program's own expression decides. */
  private readonly authors: ReadonlySet<string> | undefined;
  private readonly open: Partial<Record<OutputStream, OpenLine>> = {};
  private ready = false;

  constructor(
    config: StdioInterface,
    private readonly options: StdioAdapterOptions,
  ) {
    const problems = stdioInterfaceProblems(config, { requirePort: options.port === undefined });
    if (problems[0])
      throw new Error(`interface.${problems[0].path.join(".")}: ${problems[0].message}; validate the interface first`);
    this.expressions = {
      received: config.received === undefined ? DEFAULT_RECEIVED : [new RegExp(config.received)],
      ...(config.ready === undefined ? {} : { ready: new RegExp(config.ready) }),
      ...(config.sent === undefined ? {} : { sent: new RegExp(config.sent) }),
    };
    const stream = config.stream ?? "stdout";
    this.streams = new Set<OutputStream>(stream === "both" ? ["stdout", "stderr"] : [stream]);
    this.authors = config.received === undefined ? new Set(options.peers) : undefined;
  }

  /**
   * A new process started (the engine restarted its container): its ready line is looked for
   * again. Call `end()` first when reading raw bytes, so the old process's unfinished lines end.
   */
  restarted(): void {
    this.ready = false;
  }

  /** One whole line. */
  adaptLine(line: OutputLine): AdaptedLine {
    const text = stripTerminalCodes(line.text);
    const adapted = { ts: line.ts, stream: line.stream, text };
    if (!this.streams.has(line.stream)) return adapted;
    const event = this.match(text, line.ts);
    return event ? { ...adapted, event } : adapted;
  }

  /** Bytes as they arrive; returns the lines they complete. */
  push(chunk: OutputChunk): AdaptedLine[] {
    const lines: AdaptedLine[] = [];
    let bytes = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE)) {
      lines.push(...this.append(chunk.stream, bytes.subarray(0, end), chunk.ts), ...this.close(chunk.stream));
      bytes = bytes.subarray(end + 1);
    }
    if (bytes.length > 0) lines.push(...this.append(chunk.stream, bytes, chunk.ts));
    return lines;
  }

  /** The output ended (the process exited): lines left without a final newline. */
  end(): AdaptedLine[] {
    return [...this.close("stdout"), ...this.close("stderr")];
  }

  /** Adds to the stream's open line; returns what had to be cut off it to keep it within MAX_LINE_BYTES. */
  private append(stream: OutputStream, bytes: Buffer, ts: string): AdaptedLine[] {
    const line = (this.open[stream] ??= { parts: [], bytes: 0, ts });
    // A copy: the caller may reuse its buffer once push returns.
    line.parts.push(Buffer.from(bytes));
    line.bytes += bytes.length;
    line.ts = ts;
    const cut: AdaptedLine[] = [];
    while (line.bytes > MAX_LINE_BYTES) {
      const whole = Buffer.concat(line.parts);
      const at = characterBoundary(whole, MAX_LINE_BYTES);
      cut.push(this.adaptLine({ ts, stream, text: whole.subarray(0, at).toString("utf8") }));
      line.parts = [whole.subarray(at)];
      line.bytes = whole.length - at;
    }
    return cut;
  }

  private close(stream: OutputStream): AdaptedLine[] {
    const line = this.open[stream];
    if (line === undefined) return [];
    delete this.open[stream];
    return [this.adaptLine({ ts: line.ts, stream, text: Buffer.concat(line.parts).toString("utf8") })];
  }

  private match(text: string, ts: string): PeerEvent | undefined {
    const peer = this.options.peer;
    if (!this.ready) {
      const port = this.readyPort(text);
      if (port !== undefined) {
        this.ready = true;
        return { ts, peer, ev: "listening", port };
      }
    }
    const sent = this.expressions.sent?.exec(text)?.groups?.text;
    if (sent !== undefined && sent.trim() !== "")
      return { ts, peer, ev: "sent", id: foreignMessageId(sent), origin: peer, text: sent, to: [] };
    for (const expression of this.expressions.received) {
      const groups = expression.exec(text)?.groups;
      const body = groups?.text;
      if (body === undefined || body.trim() === "") continue;
      const from = groups?.from;
      if (this.authors !== undefined && (from === undefined || !this.authors.has(from))) continue;
      return {
        ts,
        peer,
        ev: "recv",
        id: foreignMessageId(body),
        origin: from ?? UNKNOWN_PEER,
        from: UNKNOWN_PEER,
        hops: 0,
        text: body,
      };
    }
    return undefined;
  }

  /** The port a ready line announces, or undefined when this line is not (yet) the ready line. */
  private readyPort(text: string): number | undefined {
    if (this.expressions.ready === undefined) return text.trim() === "" ? undefined : this.options.port;
    const match = this.expressions.ready.exec(text);
    if (!match) return undefined;
    const captured = match.groups?.port === undefined ? undefined : Number(match.groups.port);
    // A port group that did not take part, or took no port, falls back to the lab's {port}.
    return captured !== undefined && Number.isInteger(captured) && captured >= 1 && captured <= 65535
      ? captured
      : this.options.port;
  }
}

/** The largest cut at or before `limit` that does not split a UTF-8 character. */
function characterBoundary(bytes: Buffer, limit: number): number {
  let at = limit;
  // Continuation bytes are 10xxxxxx; a character starts at the first byte that is not one.
  while (at > 0 && ((bytes[at] ?? 0) & 0xc0) === 0x80) at -= 1;
  return at === 0 ? limit : at;
}

/** The named groups an expression has, or why it does not compile. */
function namedGroups(source: string): string[] | { problem: string } {
  try {
    new RegExp(source);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  // An empty alternative makes any expression match "", and the match lists every group's name.
  return Object.keys(new RegExp(`(?:${source})|`).exec("")?.groups ?? {});
}

const GROUPS: Record<"ready" | "received" | "sent", { allowed: string[]; required: string[] }> = {
  ready: { allowed: ["port"], required: [] },
  received: { allowed: ["text", "from"], required: ["text"] },
  sent: { allowed: ["text"], required: ["text"] },
};

const EXAMPLES: Record<"ready" | "received" | "sent", string> = {
  ready: String.raw`listening on port (?<port>\d+)`,
  received: String.raw`^(?<from>\w+) says: (?<text>.*)$`,
  sent: String.raw`^me: (?<text>.*)$`,
};

/**
 * Every problem with an `interface: stdio` block: expressions that do not compile, and named
 * groups missing or unknown. `requirePort`: the program chooses its port at run time (its
 * command passes no `{port}`), so its ready line must capture it.
 */
export function stdioInterfaceProblems(config: StdioInterface, options: { requirePort: boolean }): StdioProblem[] {
  const problems: StdioProblem[] = [];
  for (const key of ["ready", "received", "sent"] as const) {
    const source = config[key];
    if (source === undefined) continue;
    const groups = namedGroups(source);
    if (!Array.isArray(groups)) {
      problems.push({
        path: [key],
        message: `does not compile: ${groups.problem}`,
        hint: `a JavaScript regular expression, e.g. ${EXAMPLES[key]}; a literal ( ) [ ] { } . * + ? \\ is written with a \\ before it`,
      });
      continue;
    }
    const { allowed, required } = GROUPS[key];
    for (const name of required.filter((group) => !groups.includes(group))) {
      problems.push({
        path: [key],
        message: `has no group named ${name}: (?<${name}>…)`,
        hint: `e.g. ${EXAMPLES[key]}`,
      });
    }
    for (const name of groups.filter((group) => !allowed.includes(group))) {
      const near = closest(name, allowed);
      problems.push({
        path: [key],
        message: `unknown group (?<${name}>…): ${key} captures ${allowed.join(" and ")}`,
        ...(near === undefined ? {} : { hint: `did you mean (?<${near}>…)?` }),
      });
    }
  }
  if (options.requirePort && !readyCapturesPort(config)) {
    problems.push({
      path: ["ready"],
      message:
        config.ready === undefined
          ? "is needed: the program chooses its port at run time and the lab must read it"
          : "captures no port: the program chooses its port at run time and the lab must read it",
      hint: `capture it with a group named port, e.g. ready: "${EXAMPLES.ready}", or pass the lab's port with {port} in the command`,
    });
  }
  return problems;
}

/** Whether the ready expression captures the port: the program's port is then known only once it runs. */
export function readyCapturesPort(config: StdioInterface): boolean {
  if (config.ready === undefined) return false;
  const groups = namedGroups(config.ready);
  return Array.isArray(groups) && groups.includes("port");
}
