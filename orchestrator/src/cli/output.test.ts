import { describe, expect, it } from "vitest";
import { Output } from "./output.js";

function capture(): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  return {
    stream: { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream,
    written,
  };
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
});
