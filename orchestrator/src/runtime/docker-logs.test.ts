import { describe, expect, it } from "vitest";
import { MultiplexDecoder } from "./docker-logs.js";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("MultiplexDecoder", () => {
  it("splits frames into timestamped lines per stream, across chunk and frame boundaries", () => {
    const decoder = new MultiplexDecoder();
    const bytes = Buffer.concat([
      frame(1, "2026-11-25T12:00:01.123456789Z hello\n2026-11-25T12:00:01.2Z par"),
      frame(2, "2026-11-25T12:00:02Z oops\n"),
      frame(1, "tial\n"),
    ]);
    const first = decoder.push(bytes.subarray(0, 20));
    const rest = decoder.push(bytes.subarray(20));
    expect(first).toEqual([]);
    expect(rest).toEqual([
      { ts: "2026-11-25T12:00:01.123Z", stream: "stdout", text: "hello" },
      { ts: "2026-11-25T12:00:02.000Z", stream: "stderr", text: "oops" },
      { ts: "2026-11-25T12:00:01.200Z", stream: "stdout", text: "partial" },
    ]);
  });

  it("flushes a last line without newline and keeps untimed lines whole", () => {
    const decoder = new MultiplexDecoder();
    expect(decoder.push(frame(1, "no time here"))).toEqual([]);
    expect(decoder.flush()).toEqual([{ ts: "", stream: "stdout", text: "no time here" }]);
  });
});
