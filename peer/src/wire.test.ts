import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_ENCODED_BYTES } from "./message-text.js";
import {
  FrameDecoder,
  HEAL_FRAME_TYPES,
  MAX_FRAME_BYTES,
  MAX_MEMBERS,
  encodeFrame,
  parseFrame,
  type MsgFrame,
} from "./wire.js";

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

  it("takes a hello's optional speaks list, bounded, and nothing in its place when absent", () => {
    const hello = (extra: string): string => `{"type":"hello","name":"a","listen":"a:7000","version":1${extra}}`;
    expect(parseFrame(hello(',"speaks":["heal"]'))).toEqual({
      frame: { type: "hello", name: "a", listen: "a:7000", version: 1, speaks: ["heal"] },
    });
    expect(parseFrame(hello(""))).toEqual({ frame: { type: "hello", name: "a", listen: "a:7000", version: 1 } });
    expect(parseFrame(hello(',"speaks":"heal"'))).toEqual({
      error: "invalid hello frame: speaks: expected array, received string",
    });
    expect(parseFrame(hello(',"speaks":["heal",""]'))).toEqual({
      error: "invalid hello frame: speaks: [1]: Too small: expected string to have >=1 characters",
    });
    expect(parseFrame(hello(`,"speaks":${JSON.stringify(Array(17).fill("x"))}`))).toEqual({
      error: "invalid hello frame: speaks: Too big: expected array to have <=16 items",
    });
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

describe("heal control frames", () => {
  /** As a heal peer reads them: the heal frame types taken. */
  const healFrame = (line: string) => parseFrame(line, HEAL_FRAME_TYPES);

  it("accepts ihave and graft with 1 to 64 ids, and prune", () => {
    expect(healFrame('{"type":"ihave","ids":["a:x:1","b:y:2"]}')).toEqual({
      frame: { type: "ihave", ids: ["a:x:1", "b:y:2"] },
    });
    expect(healFrame('{"type":"graft","ids":["a:x:1"]}')).toEqual({ frame: { type: "graft", ids: ["a:x:1"] } });
    expect(healFrame('{"type":"prune"}')).toEqual({ frame: { type: "prune" } });
  });

  it("bounds the ids: at least one, at most 64, each an id as msg has it", () => {
    const ids = (list: unknown): string => JSON.stringify({ type: "ihave", ids: list });
    expect(healFrame(ids([]))).toEqual({
      error: "invalid ihave frame: ids: Too small: expected array to have >=1 items",
    });
    expect(healFrame(ids(Array.from({ length: 65 }, (_, i) => `a:x:${i}`)))).toEqual({
      error: "invalid ihave frame: ids: Too big: expected array to have <=64 items",
    });
    expect(healFrame(ids(["a:x:1", 7]))).toEqual({
      error: "invalid ihave frame: ids: [1]: expected string, received number",
    });
    expect(healFrame(JSON.stringify({ type: "graft", ids: ["i".repeat(201)] }))).toEqual({
      error: "invalid graft frame: ids: [0]: Too big: expected string to have <=200 characters",
    });
    expect(healFrame('{"type":"graft"}')).toEqual({
      error: "invalid graft frame: ids: expected array, received undefined",
    });
  });

  it("keeps the largest ihave well within the frame limit", () => {
    const largest = encodeFrame({ type: "ihave", ids: Array.from({ length: 64 }, () => "i".repeat(200)) });
    expect(healFrame(largest.trim())).toMatchObject({ frame: { type: "ihave" } });
    expect(Buffer.byteLength(largest)).toBeLessThan(MAX_FRAME_BYTES / 4);
  });
});

describe("frames that could not be forwarded", () => {
  const msg = (fields: Record<string, unknown>): string =>
    JSON.stringify({ type: "msg", id: "a:x:1", origin: "a", text: "hi", hops: 1, ...fields });

  it("refuses msg text that breaks the chat-message rule", () => {
    expect(parseFrame(msg({ text: "hi\r/quit" }))).toEqual({
      error: "invalid msg frame: text: a message cannot contain control characters (found U+000D at position 2)",
    });
    expect(parseFrame(msg({ text: "\u001b[2J" }))).toMatchObject({
      error: expect.stringMatching(/^invalid msg frame: text: .*U\+001B/),
    });
    expect(parseFrame(msg({ text: "" }))).toEqual({ error: "invalid msg frame: text: a message needs some text" });
    expect(parseFrame(msg({ text: '"'.repeat(MAX_MESSAGE_ENCODED_BYTES / 2 + 1) }))).toMatchObject({
      error: expect.stringMatching(/^invalid msg frame: text: a message is at most 8192 bytes as JSON/),
    });
  });

  it("measures text after decoding: invalid UTF-8 that would triple when re-encoded is refused", () => {
    const head = Buffer.from('{"type":"msg","id":"a:x:1","origin":"a","hops":1,"text":"');
    const line = Buffer.concat([head, Buffer.alloc(3000, 0xff), Buffer.from('"}\n')]);
    expect(line.length).toBeLessThan(MAX_MESSAGE_ENCODED_BYTES);
    expect(new FrameDecoder().push(line)).toMatchObject({
      frames: [],
      error: expect.stringMatching(/^invalid msg frame: text: a message is at most 8192 bytes/),
    });
  });

  it("bounds every other string to printable ASCII", () => {
    expect(parseFrame(msg({ id: "a:x:\u00ff" }))).toMatchObject({
      error: expect.stringMatching(/^invalid msg frame: id: /),
    });
    expect(parseFrame(msg({ id: 'a"b' }))).toMatchObject({ error: expect.stringMatching(/^invalid msg frame: id: /) });
    expect(parseFrame(msg({ origin: "a b" }))).toMatchObject({
      error: expect.stringMatching(/^invalid msg frame: origin: /),
    });
    expect(parseFrame(msg({ origin: "x".repeat(60 * 1024) }))).toMatchObject({
      error: expect.stringMatching(/^invalid msg frame: origin: /),
    });
    expect(parseFrame('{"type":"hello","name":"\u00e9ve","listen":"x:1","version":1}')).toMatchObject({
      error: expect.stringMatching(/^invalid hello frame: name: /),
    });
    expect(parseFrame('{"type":"hello","name":"eve","listen":"x:1\\n","version":1}')).toMatchObject({
      error: expect.stringMatching(/^invalid hello frame: listen: /),
    });
  });

  it("forwards the largest acceptable msg within the frame limit", () => {
    const largest: MsgFrame = {
      type: "msg",
      id: "i".repeat(200),
      origin: "o".repeat(64),
      text: '"'.repeat(MAX_MESSAGE_ENCODED_BYTES / 2),
      hops: 999,
    };
    const parsed = parseFrame(JSON.stringify(largest));
    expect(parsed).toEqual({ frame: largest });
    expect(Buffer.byteLength(encodeFrame({ ...largest, hops: largest.hops + 1 }))).toBeLessThan(MAX_FRAME_BYTES / 4);
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
    const frame = { type: "hello", name: "a", listen: "x:1", version: 1 };
    const line = JSON.stringify(frame);
    const padded = `${line.slice(0, -1)}${" ".repeat(MAX_FRAME_BYTES - line.length)}}`;
    expect(Buffer.byteLength(padded)).toBe(MAX_FRAME_BYTES);
    expect(decoder.push(Buffer.from(`${padded}\n`)).frames).toEqual([frame]);
  });
});

describe("the heal additions", () => {
  const hello = (fields: Record<string, unknown>): string =>
    JSON.stringify({ type: "hello", name: "alice", listen: "alice:7000", version: 1, ...fields });
  const members = (peers: unknown): string => JSON.stringify({ type: "members", peers });

  it("keeps a hello's speaks, and reads a hello without it as before", () => {
    expect(parseFrame(hello({ speaks: ["heal", "later"] }))).toEqual({
      frame: { type: "hello", name: "alice", listen: "alice:7000", version: 1, speaks: ["heal", "later"] },
    });
    expect(parseFrame(hello({}))).toEqual({
      frame: { type: "hello", name: "alice", listen: "alice:7000", version: 1 },
    });
  });

  it("bounds speaks", () => {
    expect(parseFrame(hello({ speaks: "heal" }))).toEqual({
      error: "invalid hello frame: speaks: expected array, received string",
    });
    expect(parseFrame(hello({ speaks: Array(17).fill("x") }))).toEqual({
      error: "invalid hello frame: speaks: Too big: expected array to have <=16 items",
    });
    expect(parseFrame(hello({ speaks: ["heal", ""] }))).toEqual({
      error: "invalid hello frame: speaks: [1]: Too small: expected string to have >=1 characters",
    });
  });

  it("takes members only where heal is spoken: to a tree or dedup peer it is an unknown type", () => {
    const line = members([{ name: "bob", listen: "bob:7000" }]);
    expect(parseFrame(line)).toEqual({ error: 'unknown frame type "members"' });
    expect(parseFrame(line, HEAL_FRAME_TYPES)).toEqual({
      frame: { type: "members", peers: [{ name: "bob", listen: "bob:7000" }] },
    });
    expect(new FrameDecoder(HEAL_FRAME_TYPES).push(Buffer.from(`${line}\n`))).toEqual({
      frames: [{ type: "members", peers: [{ name: "bob", listen: "bob:7000" }] }],
    });
    expect(new FrameDecoder().push(Buffer.from(`${line}\n`))).toEqual({
      frames: [],
      error: 'unknown frame type "members"',
    });
  });

  it("bounds members: at most 64 entries, each a peer name and a plain address", () => {
    const peer = { name: "bob", listen: "bob:7000" };
    expect(parseFrame(members(Array(MAX_MEMBERS).fill(peer)), HEAL_FRAME_TYPES)).toHaveProperty("frame");
    expect(parseFrame(members(Array(MAX_MEMBERS + 1).fill(peer)), HEAL_FRAME_TYPES)).toEqual({
      error: "invalid members frame: peers: Too big: expected array to have <=64 items",
    });
    expect(parseFrame(members([peer, { name: "b c", listen: "x:1" }]), HEAL_FRAME_TYPES)).toMatchObject({
      error: expect.stringMatching(/^invalid members frame: peers: \[1\]: name: /),
    });
    expect(parseFrame(members([{ name: "bob", listen: "" }]), HEAL_FRAME_TYPES)).toMatchObject({
      error: expect.stringMatching(/^invalid members frame: peers: \[0\]: listen: Too small/),
    });
    expect(parseFrame(members([null]), HEAL_FRAME_TYPES)).toEqual({
      error: "invalid members frame: peers: [0]: expected object, received null",
    });
    expect(parseFrame(JSON.stringify({ type: "members" }), HEAL_FRAME_TYPES)).toEqual({
      error: "invalid members frame: peers: expected array, received undefined",
    });
  });
});
