import type { LogLine } from "./runtime.js";

/**
 * Docker's multiplexed log stream (no TTY): frames of an 8-byte header (stream type, 3 zero
 * bytes, big-endian length) and a payload. Lines may span frames; each stream keeps its own
 * partial line. With timestamps on, each line starts with the engine's RFC 3339 time.
 */
export class MultiplexDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial = { stdout: "", stderr: "" };

  push(chunk: Buffer): LogLine[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const lines: LogLine[] = [];
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      const stream = this.pending[0] === 2 ? "stderr" : "stdout";
      const payload = this.pending.subarray(8, 8 + length).toString("utf8");
      this.pending = this.pending.subarray(8 + length);
      const parts = (this.partial[stream] + payload).split("\n");
      this.partial[stream] = parts.pop()!;
      for (const part of parts) lines.push(parseTimestamped(part, stream));
    }
    return lines;
  }

  /** Whatever is left without a final newline. */
  flush(): LogLine[] {
    const lines: LogLine[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.partial[stream] !== "") lines.push(parseTimestamped(this.partial[stream], stream));
      this.partial[stream] = "";
    }
    return lines;
  }
}

function parseTimestamped(line: string, stream: LogLine["stream"]): LogLine {
  const space = line.indexOf(" ");
  const stamp = space === -1 ? line : line.slice(0, space);
  const time = Date.parse(stamp);
  if (Number.isNaN(time)) return { ts: "", stream, text: line.replace(/\r$/, "") };
  return { ts: new Date(time).toISOString(), stream, text: line.slice(space + 1).replace(/\r$/, "") };
}
