import { describe, expect, it } from "vitest";
import { SeenCache } from "./seen.js";

describe("SeenCache", () => {
  it("reports each id as new once", () => {
    const cache = new SeenCache({ maxEntries: 10, maxAgeMs: 1000 });
    expect(cache.add("a:1")).toBe(true);
    expect(cache.add("a:1")).toBe(false);
    expect(cache.add("b:1")).toBe(true);
  });

  it("keeps at most maxEntries, forgetting the oldest", () => {
    const cache = new SeenCache({ maxEntries: 3, maxAgeMs: 60_000 });
    for (let i = 1; i <= 1000; i++) cache.add(`a:${i}`);
    expect(cache.size).toBe(3);
    expect(cache.add("a:1000")).toBe(false);
    expect(cache.add("a:1")).toBe(true);
  });

  it("forgets ids older than maxAge", () => {
    let now = 0;
    const cache = new SeenCache({ maxEntries: 100, maxAgeMs: 1000, now: () => now });
    cache.add("a:1");
    now = 500;
    cache.add("a:2");
    now = 1200;
    expect(cache.add("a:3")).toBe(true);
    expect(cache.size).toBe(2);
    expect(cache.add("a:1")).toBe(true);
    expect(cache.add("a:2")).toBe(false);
  });
});

describe("SeenCache with values", () => {
  it("keeps a value per id within the same bounds, and answers has() without recording", () => {
    let now = 0;
    const cache = new SeenCache<string>({ maxEntries: 2, maxAgeMs: 1000, now: () => now });
    expect(cache.has("a:1")).toBe(false);
    cache.add("a:1", "payload 1");
    cache.add("a:2", "payload 2");
    expect(cache.has("a:1")).toBe(true);
    expect(cache.get("a:1")).toBe("payload 1");
    cache.add("a:3", "payload 3");
    expect(cache.get("a:1")).toBeUndefined();
    now = 1500;
    expect(cache.get("a:3")).toBeUndefined();
    expect(cache.has("a:3")).toBe(false);
  });
});
