import { describe, expect, it } from "vitest";
import { FrameDecoder, MAX_FRAME_BYTES, encodeFrame, parseFrame } from "./wire.js";

describe("parseFrame", () => {
  it("accepts each frame type", () => {
    expect(parseFrame('{"type":"hello","name":"alice","listen":"alice:7000","version":1}')).toEqual({
      frame: { type: "hello", name: "alice", listen: "alice:7000", version: 1 },
    });
    expect(parseFrame('{"type":"msg","id":"a:1","origin":"a","text":"hi","hops":2}')).toEqual({
      frame: { type: "msg", id: "a:1", origin: "a", text: "hi", hops: 2 },
    });
    expect(parseFrame('{"type":"ping"}')).toEqual({ frame: { type: "ping" } });
  });

  it("names what is wrong", () => {
    expect(parseFrame("{oops")).toEqual({ error: 'invalid JSON: "{oops"' });
    expect(parseFrame("[1,2]")).toEqual({ error: 'not a JSON object: "[1,2]"' });
    expect(parseFrame('{"type":"shout"}')).toEqual({ error: 'unknown frame type "shout"' });
    expect(parseFrame('{"text":"no type"}')).toEqual({ error: "unknown frame type null" });
    expect(parseFrame('{"type":"msg","id":"a:1","origin":"a","text":"hi","hops":0}')).toEqual({
      error: "invalid msg frame: hops: Too small: expected number to be >=1",
    });
  });
});

describe("FrameDecoder", () => {
  it("reassembles frames split across chunks and skips blank lines", () => {
    const decoder = new FrameDecoder();
    const wire = encodeFrame({ type: "ping" }) + "\r\n" + encodeFrame({ type: "pong" });
    const first = decoder.push(Buffer.from(wire.slice(0, 7)));
    const second = decoder.push(Buffer.from(wire.slice(7)));
    expect(first).toEqual({ frames: [] });
    expect(second).toEqual({ frames: [{ type: "ping" }, { type: "pong" }] });
  });

  it("keeps the frames before an error and stops after it", () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.from('{"type":"ping"}\nnot json\n{"type":"pong"}\n'))).toEqual({
      frames: [{ type: "ping" }],
      error: 'invalid JSON: "not json"',
    });
    expect(decoder.push(Buffer.from('{"type":"pong"}\n'))).toEqual({ frames: [] });
  });

  it("rejects a frame over 64 KiB without waiting for its newline", () => {
    const decoder = new FrameDecoder();
    const half = Buffer.alloc(MAX_FRAME_BYTES / 2 + 1, "a");
    expect(decoder.push(half)).toEqual({ frames: [] });
    expect(decoder.push(half)).toEqual({ frames: [], error: "frame over 64 KiB" });
  });

  it("accepts a frame of exactly 64 KiB", () => {
    const decoder = new FrameDecoder();
    const frame = { type: "msg" as const, id: "a:1", origin: "a", text: "", hops: 1 };
    const overhead = JSON.stringify(frame).length;
    frame.text = "x".repeat(MAX_FRAME_BYTES - overhead);
    expect(decoder.push(Buffer.from(encodeFrame(frame))).frames).toHaveLength(1);
  });
});
