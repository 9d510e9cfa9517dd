import type { LogLine } from "./runtime.js";

type Stream = LogLine["stream"];

/** A line being put together from the engine's messages, still as bytes. */
interface OpenLine {
  /** The engine's time exactly as it wrote it; undefined for untimed messages. */
  stamp: string | undefined;
  parts: Buffer[];
}

const HEADER_BYTES = 8;
const NEWLINE = 0x0a;
/** RFC 3339 as the engine writes it (`2026-11-25T12:00:01.123456789Z`), then one space. */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /;
const STAMP_MAX_BYTES = 40;

/**
 * Docker's multiplexed log stream (no TTY): frames of an 8-byte header (stream type, 3 zero
 * bytes, big-endian length) and a payload. With timestamps on, each frame is one message of the
 * engine's log: its time, a space, and what the container printed up to and including a newline.
 *
 * The engine cuts a line longer than 16 KiB into several messages. Every part but the last lacks
 * the newline, and every part carries the first part's time (daemon/logger/copier.go). So a
 * message without a newline is continued by the next message of its stream that has the same
 * time; another time means that line ended without one (the process exited mid-line; Docker
 * 20.10's `local` driver also drops the last part's newline). The parts stay bytes until the line
 * is whole: a character the engine cut in two is decoded whole.
 */
export class MultiplexDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private readonly open: Partial<Record<Stream, OpenLine>> = {};

  push(chunk: Buffer): LogLine[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const lines: LogLine[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + length) break;
      // 1 stdout, 2 stderr, 3 the engine's own error about this log: shown as stderr.
      const stream: Stream = this.pending[0] === 1 ? "stdout" : "stderr";
      lines.push(...this.message(stream, this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length)));
      this.pending = this.pending.subarray(HEADER_BYTES + length);
    }
    return lines;
  }

  /** Whatever is left without a final newline. */
  flush(): LogLine[] {
    return [...this.close("stdout"), ...this.close("stderr")];
  }

  private message(stream: Stream, payload: Buffer): LogLine[] {
    const match = STAMP.exec(payload.subarray(0, STAMP_MAX_BYTES).toString("latin1"));
    const stamp = match?.[1];
    const body = match === null ? payload : payload.subarray(match[0].length);
    const lines = this.open[stream] !== undefined && this.open[stream].stamp !== stamp ? this.close(stream) : [];
    const line = (this.open[stream] ??= { stamp, parts: [] });
    line.parts.push(body);
    if (body[body.length - 1] === NEWLINE) lines.push(...this.close(stream));
    return lines;
  }

  private close(stream: Stream): LogLine[] {
    const line = this.open[stream];
    if (line === undefined) return [];
    delete this.open[stream];
    const ts = line.stamp === undefined ? "" : new Date(Date.parse(line.stamp)).toISOString();
    const bytes = Buffer.concat(line.parts);
    if (bytes.length === 0) return [];
    const text = bytes.toString("utf8").replace(/\n$/, "");
    return text.split("\n").map((part) => ({ ts, stream, text: part.replace(/\r$/, "") }));
  }
}
