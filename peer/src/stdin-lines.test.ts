import { describe, expect, it } from "vitest";
import { LineSplitter, MAX_LINE_BYTES } from "./stdin-lines.js";

function split(...chunks: Array<string | Buffer>): { lines: string[]; dropped: number } {
  const lines: string[] = [];
  let dropped = 0;
  const splitter = new LineSplitter(
    (line) => lines.push(line),
    () => (dropped += 1),
  );
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  return { lines, dropped };
}

describe("LineSplitter", () => {
  it("breaks at \\n only: a lone \\r stays inside its line, a trailing one goes", () => {
    expect(split("hello\r/quit\nfine\r\n")).toEqual({ lines: ["hello\r/quit", "fine"], dropped: 0 });
  });

  it("joins a line split across chunks, multi-byte characters included", () => {
    const text = Buffer.from("héllo 🌍\n");
    expect(split(text.subarray(0, 2), text.subarray(2, 8), text.subarray(8)).lines).toEqual(["héllo 🌍"]);
  });

  it("keeps an unfinished line until its newline comes", () => {
    expect(split("no newline yet").lines).toEqual([]);
  });

  it("drops a line over the limit whole, wherever its chunks end, and reads on", () => {
    const long = "x".repeat(MAX_LINE_BYTES + 10);
    expect(split(`${long}\nnext\n`)).toEqual({ lines: ["next"], dropped: 1 });
    const result = split(long.slice(0, 40_000), long.slice(40_000), "\n/peers\n");
    expect(result.lines).toEqual(["/peers"]);
    expect(result.dropped).toBe(1);
  });
});
