import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import { formatPeerLine, formatRecord, toPeerLine } from "./transcript.js";

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
