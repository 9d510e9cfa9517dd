import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { Output } from "./output.js";

function capture(): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = Object.assign(new EventEmitter(), { isTTY: false, write: (text: string) => written.push(text) });
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

describe("Output", () => {
  it("shows control characters in errors and progress escaped, keeping their lines", () => {
    const stdout = capture();
    const stderr = capture();
    const out = new Output(stdout.stream, stderr.stream);
    out.error("lab x not wired:\n    12:00:01.000  bob ! \u001b[2Jfake\rline", "look at \u001b]0;title\u0007");
    out.progress("warning: \u009b2J");
    expect(stderr.written.join("")).toBe(
      "lab: lab x not wired:\n    12:00:01.000  bob ! \\x1b[2Jfake\\rline\n  fix: look at \\x1b]0;title\\x07\n… warning: \\x9b2J\n",
    );
    expect(stdout.written).toEqual([]);
  });

  it("says when stdout's reader has gone away (EPIPE), so a command that only follows can stop", () => {
    const stdout = capture();
    const out = new Output(stdout.stream, capture().stream);
    stdout.stream.emit("error", Object.assign(new Error("write EAGAIN"), { code: "EAGAIN" }));
    expect(out.readerGone.aborted).toBe(false);
    stdout.stream.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    expect(out.readerGone.aborted).toBe(true);
  });
});
