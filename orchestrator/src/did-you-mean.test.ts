import { describe, expect, it } from "vitest";
import { closest, levenshtein } from "./did-you-mean.js";

describe("closest", () => {
  it("suggests the nearest name within two edits", () => {
    expect(levenshtein("carl", "carol")).toBe(1);
    expect(closest("carl", ["alice", "bob", "carol", "dave"])).toBe("carol");
    expect(closest("conect", ["connect", "mode"])).toBe("connect");
    expect(closest("zebra", ["alice", "bob"])).toBeUndefined();
  });
});
