import { describe, expect, it } from "vitest";
import { encodedTextBytes, MAX_MESSAGE_ENCODED_BYTES, messageTextProblem } from "./message-text.js";

describe("messageTextProblem", () => {
  it("accepts ordinary text, unicode and the largest encoded message", () => {
    expect(messageTextProblem("hello, world")).toBeUndefined();
    expect(messageTextProblem("héllo 🌍 «ok»")).toBeUndefined();
    expect(messageTextProblem('"'.repeat(MAX_MESSAGE_ENCODED_BYTES / 2))).toBeUndefined();
    expect(messageTextProblem("🌍".repeat(MAX_MESSAGE_ENCODED_BYTES / 4))).toBeUndefined();
  });

  it("refuses control characters anywhere, naming the first", () => {
    expect(messageTextProblem("hi\r/quit")).toBe(
      "a message cannot contain control characters (found U+000D at position 2)",
    );
    expect(messageTextProblem("a\nb")).toMatch(/U\+000A/);
    expect(messageTextProblem("\u001b[2Jcleared")).toMatch(/U\+001B at position 0/);
    expect(messageTextProblem("tab\there")).toMatch(/U\+0009/);
    expect(messageTextProblem("del\u007f")).toMatch(/U\+007F/);
    expect(messageTextProblem("c1\u009b")).toMatch(/U\+009B/);
    expect(messageTextProblem("line\u2028sep")).toMatch(/U\+2028/);
    expect(messageTextProblem("lone \ud800 surrogate")).toMatch(/U\+D800/);
  });

  it("refuses empty text and peer commands", () => {
    expect(messageTextProblem("   ")).toBe("a message needs some text");
    expect(messageTextProblem("/quit now")).toBe('"/quit" would be a command to the peer, not a message');
  });

  it("limits the text by its JSON encoding, not its raw bytes", () => {
    const quotes = '"'.repeat(MAX_MESSAGE_ENCODED_BYTES / 2 + 1);
    expect(Buffer.byteLength(quotes)).toBeLessThan(MAX_MESSAGE_ENCODED_BYTES);
    expect(encodedTextBytes(quotes)).toBe(MAX_MESSAGE_ENCODED_BYTES + 2);
    expect(messageTextProblem(quotes)).toMatch(/at most 8192 bytes as JSON \(this one is 8194/);
  });
});
