import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MultiplexDecoder } from "./docker-logs.js";
import type { LogLine } from "./runtime.js";

function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(bytes.length, 4);
  return Buffer.concat([header, bytes]);
}

/** Everything the decoder makes of these bytes, pushed in chunks of `size` bytes. */
function decode(bytes: Buffer, size = bytes.length): LogLine[] {
  const decoder = new MultiplexDecoder();
  const lines: LogLine[] = [];
  for (let at = 0; at < bytes.length; at += size) lines.push(...decoder.push(bytes.subarray(at, at + size)));
  return [...lines, ...decoder.flush()];
}

const recorded = (name: string): Buffer => readFileSync(new URL(`fixtures/${name}`, import.meta.url));

describe("MultiplexDecoder", () => {
  it("splits frames into timestamped lines per stream, across chunk boundaries", () => {
    const bytes = Buffer.concat([
      frame(1, "2026-11-25T12:00:01.123456789Z hello\n"),
      frame(2, "2026-11-25T12:00:02.000000000Z oops\r\n"),
      frame(1, "2026-11-25T12:00:03.200000000Z again\n"),
    ]);
    const expected = [
      { ts: "2026-11-25T12:00:01.123Z", stream: "stdout", text: "hello" },
      { ts: "2026-11-25T12:00:02.000Z", stream: "stderr", text: "oops" },
      { ts: "2026-11-25T12:00:03.200Z", stream: "stdout", text: "again" },
    ];
    expect(decode(bytes)).toEqual(expected);
    expect(decode(bytes, 5)).toEqual(expected);
  });

  it("flushes a last line without newline and keeps untimed lines whole", () => {
    expect(decode(frame(1, "no time here"))).toEqual([{ ts: "", stream: "stdout", text: "no time here" }]);
  });

  it("decodes a character whose bytes the engine put in two messages", () => {
    const [head, tail] = [Buffer.from("héllo\n").subarray(0, 2), Buffer.from("héllo\n").subarray(2)];
    const stamp = Buffer.from("2026-11-25T12:00:01.000000000Z ");
    const bytes = Buffer.concat([
      frame(1, Buffer.concat([stamp, head])),
      frame(2, "2026-11-25T12:00:01.500000000Z between\n"),
      frame(1, Buffer.concat([stamp, tail])),
    ]);
    expect(decode(bytes)).toEqual([
      { ts: "2026-11-25T12:00:01.500Z", stream: "stderr", text: "between" },
      { ts: "2026-11-25T12:00:01.000Z", stream: "stdout", text: "héllo" },
    ]);
  });

  it("ends a line that lost its newline when its stream's next message has another time", () => {
    const bytes = Buffer.concat([
      frame(1, "2026-11-25T12:00:01.000000000Z cut off by an exit"),
      frame(1, "2026-11-25T12:00:09.000000000Z restarted\n"),
    ]);
    expect(decode(bytes)).toEqual([
      { ts: "2026-11-25T12:00:01.000Z", stream: "stdout", text: "cut off by an exit" },
      { ts: "2026-11-25T12:00:09.000Z", stream: "stdout", text: "restarted" },
    ]);
  });

  it("rejoins a line the json-file driver cut at 16 KiB: one line, the first part's time, no time inside", () => {
    const bytes = recorded("docker-20.10-json-file.bin");
    const expected = [
      { ts: "2026-11-25T22:17:33.374Z", stream: "stdout", text: "before é" },
      {
        ts: "2026-11-25T22:17:33.382Z",
        stream: "stdout",
        text: '"\\'.repeat(8) + "😀".repeat(8188) + "é".repeat(4000) + " end",
      },
      { ts: "2026-11-25T22:17:33.430Z", stream: "stderr", text: "on stderr ☃" },
      { ts: "2026-11-25T22:17:33.489Z", stream: "stdout", text: "after" },
      { ts: "2026-11-25T22:17:33.542Z", stream: "stdout", text: "no newline ü" },
    ];
    expect(decode(bytes)).toEqual(expected);
    expect(decode(bytes, 1000)).toEqual(expected);
  });

  it("rejoins lines the local driver cut inside a character, though it dropped their newline", () => {
    const bytes = recorded("docker-20.10-local.bin");
    const expected = [
      { ts: "2026-11-25T22:17:33.762Z", stream: "stdout", text: "before é" },
      { ts: "2026-11-25T22:17:33.763Z", stream: "stdout", text: "a" + "é".repeat(9000) },
      { ts: "2026-11-25T22:17:33.860Z", stream: "stderr", text: "on stderr ☃" },
      { ts: "2026-11-25T22:17:33.763Z", stream: "stdout", text: "ab" + "😀".repeat(5000) },
      { ts: "2026-11-25T22:17:33.880Z", stream: "stdout", text: "after" },
      { ts: "2026-11-25T22:17:33.915Z", stream: "stdout", text: "no newline ü" },
    ];
    expect(decode(bytes)).toEqual(expected);
    expect(decode(bytes, 777)).toEqual(expected);
  });
});
