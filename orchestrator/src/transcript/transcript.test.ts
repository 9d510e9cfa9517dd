import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import { topologyFrom } from "../../../test/support/memory-lab.js";
import { UNKNOWN_PEER, foreignMessageId } from "../adapter/stdio-adapter.js";
import { formatPeerLine, formatRecord, peerLineReader, toPeerLine, typedLines } from "./transcript.js";

const CLEAR_SCREEN = "\u001b[2J\u001b[H";

describe("readable transcript lines", () => {
  it("show a peer's escape sequences and carriage returns as text, in what it prints and in its events", () => {
    const printed = toPeerLine("mallory", {
      ts: "2026-11-25T12:00:01.000Z",
      stream: "stderr",
      text: `${CLEAR_SCREEN}all peers healthy\rok`,
    });
    expect(formatPeerLine(printed)).toBe("12:00:01.000  mallory ! \\x1b[2J\\x1b[Hall peers healthy\\rok");

    const recv: PeerEvent = {
      ts: "2026-11-25T12:00:02.000Z",
      peer: "bob",
      ev: "recv",
      id: "m:1:1",
      origin: "mallory",
      hops: 1,
      from: "mallory",
      text: `${CLEAR_SCREEN}hi`,
    };
    const line = toPeerLine("bob", { ts: recv.ts, stream: "stdout", text: JSON.stringify(recv) });
    expect(line.event).toEqual(recv);
    expect(formatPeerLine(line)).toBe("12:00:02.000  bob ← mallory: \\x1b[2J\\x1b[Hhi (from mallory, 1 hop)");
    expect(formatRecord(recv)).toBe("12:00:02.000  bob ← mallory: \\x1b[2J\\x1b[Hhi (from mallory, 1 hop)");
  });
});

describe("a peer's lines, read through its interface", () => {
  const topology = topologyFrom(
    [
      "name: c",
      "defaults:",
      "  image: p2pchat:1",
      '  command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]]',
      "  interface: { events: stdio, ready: '^listening on port (?<port>\\d+)$', received: '^(?<from>[^:]+): (?<text>.*)$' }",
      "peers:",
      "  alice: {}",
      "  bob: { connect: [alice] }",
      "  ref: { image: p2plab/peer:1, interface: { events: json } }",
      "",
    ].join("\n"),
  );
  const at = (second: number): string => `2026-11-25T12:00:${String(second).padStart(2, "0")}.000Z`;

  it("a stdio program's: its ready line is listening on the port it chose, a received line a recv with the text's id", () => {
    const reader = peerLineReader(topology, "bob");
    expect(reader.read({ ts: at(1), stream: "stdout", text: "listening on port 41234" })).toEqual({
      peer: "bob",
      ts: at(1),
      stream: "stdout",
      text: "listening on port 41234",
      event: { ts: at(1), peer: "bob", ev: "listening", port: 41234 },
    });
    expect(reader.read({ ts: at(2), stream: "stderr", text: "connected to alice:40000" }).event).toBeUndefined();
    expect(reader.read({ ts: at(3), stream: "stdout", text: "\u001b[1malice\u001b[0m: hello" }).event).toEqual({
      ts: at(3),
      peer: "bob",
      ev: "recv",
      id: foreignMessageId("hello"),
      origin: "alice",
      from: UNKNOWN_PEER,
      hops: 0,
      text: "hello",
    });
  });

  it("a restarted container: the new process's ready line is listening again; before the start it is not looked for", () => {
    const lines = [
      { ts: at(1), stream: "stdout" as const, text: "listening on port 41234" },
      { ts: at(5), stream: "stdout" as const, text: "listening on port 45678" },
    ];
    const once = peerLineReader(topology, "alice");
    expect(lines.map((line) => once.read(line).event?.ev)).toEqual(["listening", undefined]);
    const restarted = peerLineReader(topology, "alice", [at(0), at(4)]);
    expect(lines.map((line) => restarted.read(line).event)).toEqual([
      { ts: at(1), peer: "alice", ev: "listening", port: 41234 },
      { ts: at(5), peer: "alice", ev: "listening", port: 45678 },
    ]);
  });

  it("a reference peer's: its JSON events, as before", () => {
    const event: PeerEvent = { ts: at(1), peer: "ref", ev: "listening", port: 7000 };
    expect(
      peerLineReader(topology, "ref").read({ ts: at(2), stream: "stdout", text: JSON.stringify(event) }).event,
    ).toEqual(event);
  });

  it("a line typed into a program that echoes none stands for its sent event, with the id its receptions get", () => {
    const typed = typedLines(topology, [
      { ts: at(1), action: "up", detail: "c.yaml" },
      { ts: at(2), action: "send", target: "alice", detail: "hello" },
      { ts: at(3), action: "send", target: "ref", detail: "to the reference peer" },
    ]);
    expect(typed).toEqual([
      {
        peer: "alice",
        ts: at(2),
        stream: "stdin",
        text: "hello",
        event: {
          ts: at(2),
          peer: "alice",
          ev: "sent",
          id: foreignMessageId("hello"),
          origin: "alice",
          text: "hello",
          to: [],
        },
      },
    ]);
    expect(formatPeerLine(typed[0]!)).toBe("12:00:02.000  alice → nobody: hello");
  });
});
