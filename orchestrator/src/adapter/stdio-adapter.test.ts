import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import { stripTerminalCodes } from "../terminal-codes.js";
import {
  MAX_LINE_BYTES,
  StdioAdapter,
  UNKNOWN_PEER,
  foreignMessageId,
  readyCapturesPort,
  stdioInterfaceProblems,
  type AdaptedLine,
  type OutputChunk,
  type StdioInterface,
} from "./stdio-adapter.js";

const PEERS = ["alice", "bob", "carol", "dave"];

/** A recording made by fixtures/record-output.mjs: the chunks as the pipes gave them. */
function recorded(name: string): OutputChunk[] {
  const text = readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const chunk = JSON.parse(line) as { ts: string; stream: OutputChunk["stream"]; bytes: string };
      return { ts: chunk.ts, stream: chunk.stream, bytes: Buffer.from(chunk.bytes, "base64") };
    });
}

/** Every chunk cut into pieces of `size` bytes, each keeping its chunk's time. */
function recut(chunks: OutputChunk[], size: number): OutputChunk[] {
  return chunks.flatMap((chunk) => {
    const pieces: OutputChunk[] = [];
    for (let at = 0; at < chunk.bytes.length; at += size)
      pieces.push({ ...chunk, bytes: chunk.bytes.subarray(at, at + size) });
    return pieces;
  });
}

function replay(adapter: StdioAdapter, chunks: OutputChunk[]): AdaptedLine[] {
  return [...chunks.flatMap((chunk) => adapter.push(chunk)), ...adapter.end()];
}

/** alice, given the lab's port 7000. */
const adapter = (config: StdioInterface = {}): StdioAdapter =>
  new StdioAdapter(config, { peer: "alice", port: 7000, peers: PEERS });
/** alice, whose port is known only once it runs. */
const runtimeAdapter = (config: StdioInterface): StdioAdapter =>
  new StdioAdapter(config, { peer: "alice", peers: PEERS });
const line = (text: string, stream: OutputChunk["stream"] = "stdout", ts = "2026-11-25T12:00:00.000Z") => ({
  ts,
  stream,
  text,
});
const recv = (ts: string, origin: string, text: string): PeerEvent => ({
  ts,
  peer: "alice",
  ev: "recv",
  id: foreignMessageId(text),
  origin,
  from: UNKNOWN_PEER,
  hops: 0,
  text,
});

describe("StdioAdapter on a recorded chat session", () => {
  const chunks = recorded("chat-session.ndjson");
  const at = (i: number): string => chunks[i]!.ts;
  const expected: AdaptedLine[] = [
    {
      ts: at(0),
      stream: "stdout",
      text: "listening on port 7000",
      event: { ts: at(0), peer: "alice", ev: "listening", port: 7000 },
    },
    { ts: at(1), stream: "stderr", text: "connected to bob" },
    { ts: at(4), stream: "stderr", text: "warning: bob is slow" },
    // Completed by the chunk that brought its end; the "> " prompt before it is no part of the message.
    { ts: at(5), stream: "stdout", text: "> bob: hello there", event: recv(at(5), "bob", "hello there") },
    // Cut inside "é" between two chunks, decoded whole.
    { ts: at(7), stream: "stdout", text: "> [carol] café au lait", event: recv(at(7), "carol", "café au lait") },
    { ts: at(8), stream: "stdout", text: "> <dave> bye now", event: recv(at(8), "dave", "bye now") },
    {
      ts: at(8),
      stream: "stdout",
      text: "me: my own line",
      event: {
        ts: at(8),
        peer: "alice",
        ev: "sent",
        id: foreignMessageId("my own line"),
        origin: "alice",
        text: "my own line",
        to: [],
      },
    },
    // "Error" and "mallory" are no peers of the lab: not messages under the default patterns.
    { ts: at(8), stream: "stdout", text: "Error: connection refused" },
    { ts: at(9), stream: "stdout", text: "mallory: not a peer of this lab" },
    // The prompt, then a carriage return and a clear-line code before the message.
    { ts: at(10), stream: "stdout", text: "> carol: back again", event: recv(at(10), "carol", "back again") },
    { ts: at(10), stream: "stdout", text: "progress 10%progress 100%" },
    { ts: at(10), stream: "stdout", text: "last words without a newline" },
  ];

  it("makes the same events and lines whichever way the bytes were cut", () => {
    const config = { sent: "^me: (?<text>.*)$" };
    expect(replay(adapter(config), chunks)).toEqual(expected);
    expect(replay(adapter(config), recut(chunks, 1))).toEqual(expected);
    expect(replay(adapter(config), recut(chunks, 3))).toEqual(expected);
  });

  it("gives the same lines whole, as the runtime's logs give them", () => {
    const session = adapter({ sent: "^me: (?<text>.*)$" });
    const whole = expected.map((adapted) =>
      session.adaptLine({ ts: adapted.ts, stream: adapted.stream, text: adapted.text }),
    );
    expect(whole).toEqual(expected);
  });

  it('without a sent expression, its echo is no event: under the default patterns, "me" is no peer', () => {
    const lines = replay(adapter(), chunks);
    expect(lines.find((adapted) => adapted.text === "me: my own line")?.event).toBeUndefined();
  });

  it("matches stderr only when told to: its first line is then the ready line", () => {
    const lines = replay(adapter({ stream: "stderr" }), chunks);
    expect(
      lines.flatMap((adapted) => (adapted.event ? [[adapted.stream, adapted.event.ev, adapted.text]] : [])),
    ).toEqual([["stderr", "listening", "connected to bob"]]);
  });

  it("with both streams, stdout's and stderr's lines are matched alike, and each line stays on its stream", () => {
    const lines = replay(adapter({ stream: "both", received: "^warning: (?<from>\\w+) (?<text>is slow)$" }), chunks);
    expect(lines.filter((adapted) => adapted.event).map((adapted) => [adapted.stream, adapted.event!.ev])).toEqual([
      ["stdout", "listening"],
      ["stderr", "recv"],
    ]);
  });
});

describe("StdioAdapter: ready", () => {
  it("a program that prints nothing gives nothing, and is never ready", () => {
    const silent = adapter();
    expect(recorded("silent.ndjson")).toEqual([]);
    expect(replay(silent, recorded("silent.ndjson"))).toEqual([]);
  });

  it("a custom ready expression captures the port the OS chose, after a banner", () => {
    const chunks = recorded("runtime-port.ndjson");
    const lines = replay(runtimeAdapter({ ready: "listening on port (?<port>\\d+)" }), chunks);
    expect(lines.map((adapted) => [adapted.text, adapted.event?.ev])).toEqual([
      ["p2pchat v0.1 starting", undefined],
      ["listening on port 40939", "listening"],
      ["alice: hi from alice", "recv"],
    ]);
    expect(lines[1]!.event).toEqual({ ts: chunks[1]!.ts, peer: "alice", ev: "listening", port: 40939 });
  });

  it("the default ready line is the first non-blank line, with the lab's port", () => {
    const peer = adapter();
    const lines = [line(""), line("  "), line("hello world"), line("second")].map((text) => peer.adaptLine(text));
    expect(lines.map((adapted) => adapted.event?.ev)).toEqual([undefined, undefined, "listening", undefined]);
    const once = adapter();
    expect([line("\x1b[0m"), line("up")].map((text) => once.adaptLine(text)?.event)).toEqual([
      undefined,
      { ts: line("").ts, peer: "alice", ev: "listening", port: 7000 },
    ]);
  });

  it("is matched once per process: a later line like it is not a restart until the lab says one happened", () => {
    const peer = adapter({ ready: "^listening on (?<port>\\d+)$" });
    expect(peer.adaptLine(line("listening on 4000")).event).toMatchObject({ ev: "listening", port: 4000 });
    expect(peer.adaptLine(line("listening on 4001")).event).toBeUndefined();
    peer.restarted();
    expect(peer.adaptLine(line("listening on 4002")).event).toMatchObject({ ev: "listening", port: 4002 });
  });

  it("a port group that took no part, or no port, falls back to the lab's port; without one the line is not ready", () => {
    const config = { ready: "^up(?: on (?<port>\\d+))?$" };
    expect(adapter(config).adaptLine(line("up")).event).toMatchObject({ ev: "listening", port: 7000 });
    expect(adapter(config).adaptLine(line("up on 99999")).event).toMatchObject({ ev: "listening", port: 7000 });
    const runtime = runtimeAdapter(config);
    expect(runtime.adaptLine(line("up")).event).toBeUndefined();
    expect(runtime.adaptLine(line("up on 41000")).event).toMatchObject({ ev: "listening", port: 41000 });
  });
});

describe("StdioAdapter: received and sent", () => {
  it("the default patterns: name: text, [name] text, <name> text, after prompts, from the lab's peers only", () => {
    const texts = [
      "bob: hi there",
      "[carol]hi",
      "<dave> hi",
      "> > bob: prompted",
      "bob:no space",
      "Bob: capital",
      "eve: stranger",
      "bob: ",
      "alice: looped back",
    ];
    const peer = adapter({ ready: "^ready$" });
    peer.adaptLine(line("ready"));
    const matched = texts.map((text) => {
      const event = peer.adaptLine(line(text)).event;
      return event?.ev === "recv" ? [event.origin, event.text] : undefined;
    });
    expect(matched).toEqual([
      ["bob", "hi there"],
      ["carol", "hi"],
      ["dave", "hi"],
      ["bob", "prompted"],
      undefined,
      undefined,
      undefined,
      undefined,
      ["alice", "looped back"],
    ]);
  });

  it("a custom received expression: any author it captures, or none", () => {
    const peer = adapter({ ready: "^ready$", received: "^(?<from>\\S+) says: (?<text>.*)$" });
    expect(peer.adaptLine(line("mallory says: hi")).event).toEqual(recv(line("").ts, "mallory", "hi"));
    const anonymous = adapter({ ready: "^ready$", received: "^>> (?<text>.+)$" });
    expect(anonymous.adaptLine(line(">> \x1b[1mhello\x1b[0m")).event).toEqual(recv(line("").ts, UNKNOWN_PEER, "hello"));
  });

  it("sent is tried before received: an echo in the received format is the echo", () => {
    const peer = adapter({ ready: "^ready$", sent: "^alice: (?<text>.*)$" });
    expect(peer.adaptLine(line("alice: mine")).event).toMatchObject({
      ev: "sent",
      origin: "alice",
      text: "mine",
      to: [],
    });
    expect(peer.adaptLine(line("bob: theirs")).event).toMatchObject({ ev: "recv", origin: "bob", text: "theirs" });
  });

  it("a line of the stream not watched is kept, unmatched, with its escape codes removed", () => {
    expect(adapter().adaptLine(line("\x1b[31mbob: on stderr\x1b[0m\r", "stderr"))).toEqual(
      line("bob: on stderr", "stderr"),
    );
  });
});

describe("StdioAdapter: lines", () => {
  it("keeps a stream's unfinished line apart from the other stream's lines", () => {
    const peer = adapter({ ready: "^ready$" });
    const ts = (s: number): string => `2026-11-25T12:00:0${s}.000Z`;
    const chunk = (s: number, stream: OutputChunk["stream"], text: string): OutputChunk => ({
      ts: ts(s),
      stream,
      bytes: Buffer.from(text),
    });
    expect(peer.push(chunk(1, "stdout", "bob: a"))).toEqual([]);
    expect(peer.push(chunk(2, "stderr", "oops\nagain\n"))).toEqual([
      line("oops", "stderr", ts(2)),
      line("again", "stderr", ts(2)),
    ]);
    expect(peer.push(chunk(3, "stdout", "b\r\n"))).toEqual([
      { ...line("bob: ab", "stdout", ts(3)), event: recv(ts(3), "bob", "ab") },
    ]);
  });

  it("cuts a line that never ends at MAX_LINE_BYTES, between characters", () => {
    const peer = adapter({ ready: "^ready$" });
    const long = "a" + "é".repeat(MAX_LINE_BYTES);
    const lines = [...peer.push({ ts: "t", stream: "stdout", bytes: Buffer.from(long) }), ...peer.end()];
    expect(lines.map((adapted) => adapted.text).join("")).toBe(long);
    expect(
      lines.every((adapted) => Buffer.byteLength(adapted.text) <= MAX_LINE_BYTES && !adapted.text.includes("\ufffd")),
    ).toBe(true);
    expect(lines.length).toBe(3);
  });

  it("strips colours, cursor moves, titles, character sets and carriage returns", () => {
    expect(stripTerminalCodes("\x1b[1;32mgreen\x1b[0m \x1b[2K\x1b[10;5Hmoved \x1b]0;title\x07\x1b(Bset\r")).toBe(
      "green moved set",
    );
    expect(stripTerminalCodes("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x9b31mc1\x1b7saved\x1b8")).toBe(
      "link c1saved",
    );
  });
});

describe("foreignMessageId", () => {
  it("is the text's, whoever sent or showed it, spaces at either end aside", () => {
    expect(foreignMessageId("hello there")).toBe(foreignMessageId("  hello there\t"));
    expect(foreignMessageId("hello there")).not.toBe(foreignMessageId("hello  there"));
    expect(foreignMessageId("hello")).toMatch(/^text-[0-9a-f]{12}$/);
  });
});

describe("stdioInterfaceProblems", () => {
  it("none for the defaults and for well-formed expressions", () => {
    expect(stdioInterfaceProblems({}, { requirePort: false })).toEqual([]);
    expect(
      stdioInterfaceProblems(
        { ready: "port (?<port>\\d+)", received: "^(?<from>\\w+)> (?<text>.*)", sent: "^me: (?<text>.*)" },
        { requirePort: true },
      ),
    ).toEqual([]);
  });

  it("an expression that does not compile, quoting why", () => {
    expect(
      stdioInterfaceProblems(
        { ready: "listening on (port", received: "[(?<from>\\w+)(?<text>.*)" },
        { requirePort: false },
      ),
    ).toEqual([
      {
        path: ["ready"],
        message: "does not compile: Invalid regular expression: /listening on (port/: Unterminated group",
        hint: "a JavaScript regular expression, e.g. listening on port (?<port>\\d+); a literal ( ) [ ] { } . * + ? \\ is written with a \\ before it",
      },
      {
        path: ["received"],
        message:
          "does not compile: Invalid regular expression: /[(?<from>\\w+)(?<text>.*)/: Unterminated character class",
        hint: "a JavaScript regular expression, e.g. ^(?<from>\\w+) says: (?<text>.*)$; a literal ( ) [ ] { } . * + ? \\ is written with a \\ before it",
      },
    ]);
  });

  it("groups missing or unknown", () => {
    expect(
      stdioInterfaceProblems(
        { received: "^(?<user>\\w+): (?<txt>.*)$", sent: "^me: .*$", ready: "on (?<prt>\\d+)" },
        { requirePort: false },
      ),
    ).toEqual([
      { path: ["ready"], message: "unknown group (?<prt>…): ready captures port", hint: "did you mean (?<port>…)?" },
      {
        path: ["received"],
        message: "has no group named text: (?<text>…)",
        hint: "e.g. ^(?<from>\\w+) says: (?<text>.*)$",
      },
      { path: ["received"], message: "unknown group (?<user>…): received captures text and from" },
      {
        path: ["received"],
        message: "unknown group (?<txt>…): received captures text and from",
        hint: "did you mean (?<text>…)?",
      },
      { path: ["sent"], message: "has no group named text: (?<text>…)", hint: "e.g. ^me: (?<text>.*)$" },
    ]);
  });

  it("a port chosen at run time needs a ready expression that captures it", () => {
    expect(stdioInterfaceProblems({}, { requirePort: true })).toEqual([
      {
        path: ["ready"],
        message: "is needed: the program chooses its port at run time and the lab must read it",
        hint: 'capture it with a group named port, e.g. ready: "listening on port (?<port>\\d+)", or pass the lab\'s port with {port} in the command',
      },
    ]);
    expect(
      stdioInterfaceProblems({ ready: "^listening" }, { requirePort: true }).map((problem) => problem.message),
    ).toEqual(["captures no port: the program chooses its port at run time and the lab must read it"]);
  });

  it("the adapter refuses an interface that has problems", () => {
    expect(() => adapter({ received: "(" })).toThrow(
      /interface\.received: does not compile.*validate the interface first/,
    );
    expect(() => runtimeAdapter({})).toThrow(/interface\.ready: is needed/);
  });
});

describe("readyCapturesPort", () => {
  it("says whether the port is known only once the program runs", () => {
    expect(readyCapturesPort({})).toBe(false);
    expect(readyCapturesPort({ ready: "^up$" })).toBe(false);
    expect(readyCapturesPort({ ready: "port (?<port>\\d+)" })).toBe(true);
    expect(readyCapturesPort({ ready: "(?<port>" })).toBe(false);
  });
});
