import { describe, expect, it } from "vitest";
import { linkKey } from "./link-key.js";

describe("linkKey", () => {
  it("is the same from either end", () => {
    expect(linkKey("alice", "bob")).toBe(linkKey("bob", "alice"));
  });

  it("tells apart pairs whose names join the same way", () => {
    expect(linkKey("a-b", "c")).not.toBe(linkKey("a", "b-c"));
    expect(linkKey("a b", "c")).not.toBe(linkKey("a", "b c"));
  });
});
