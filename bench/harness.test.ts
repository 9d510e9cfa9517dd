import { describe, expect, it } from "vitest";
// @ts-expect-error: the bench is plain JavaScript, run by node without a build
import { grid, interleave, linkCount, percentile, randomGraph, stats } from "./harness.mjs";
// @ts-expect-error: as above
import { renderResults } from "./render.mjs";

type Peers = Array<[string, string[]]>;

describe("bench harness", () => {
  it("rotates the contenders' order every round, so a slow minute weighs on each alike", async () => {
    const order: string[] = [];
    const contender = (name: string) => async (round: number) => (order.push(name), round);
    const figures = await interleave(3, { a: contender("a"), b: contender("b"), c: contender("c") });
    expect(order).toEqual(["a", "b", "c", "b", "c", "a", "c", "a", "b"]);
    expect(figures).toEqual({ a: [0, 1, 2], b: [0, 1, 2], c: [0, 1, 2] });
  });

  it("gives min, median and max, and percentiles by nearest rank", () => {
    expect(stats([5, 1, 3])).toEqual({ n: 3, min: 1, median: 3, max: 5 });
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(hundred, 0.5), percentile(hundred, 0.99)]).toEqual([50, 99]);
  });

  it("writes a connected random graph of average degree about 3, the same for the same size, at any size", () => {
    for (const size of [4, 32, 512]) {
      const peers: Peers = randomGraph(size);
      expect(randomGraph(size)).toEqual(peers);
      const reached = new Set(["p1"]);
      for (const [peer, connect] of peers) if (connect.some((target) => reached.has(target))) reached.add(peer);
      expect(reached.size).toBe(size);
      expect((2 * linkCount(peers)) / size).toBeGreaterThanOrEqual(2.4);
    }
  });

  it("links a grid's neighbours once each", () => {
    expect(linkCount(grid(5, 5))).toBe(40);
    expect(grid(2, 2)).toEqual([
      ["p1", []],
      ["p2", ["p1"]],
      ["p3", ["p1"]],
      ["p4", ["p3", "p2"]],
    ]);
  });

  it("lists a run's failures, a leftover among them, in RESULTS.md", () => {
    const machine = { cores: 2, cpu: "x", memoryGiB: 1, kernel: "k", os: "o", docker: "d", storageDriver: "s" };
    const markdown: string = renderResults({
      date: "2026-01-01T00:00:00.000Z",
      command: "npm run bench",
      seconds: 1,
      sectionSeconds: {},
      machine: { ...machine, cgroup: "v1", compose: "c", node: "v20", peerImage: "p" },
      results: {},
      failures: ["left behind on the engine (now removed):\n  network bench-floor-4-0"],
    });
    expect(markdown).toContain("## Failures\n\n- left behind on the engine (now removed):\n  network bench-floor-4-0");
  });

  it("reports heal mode's steady frames per broadcast, and its first, pruning broadcast apart", () => {
    const figures = (value: number) => ({ n: 5, min: value, median: value, max: value });
    const mode = (frames: number) => ({
      broadcasts: 5,
      framesPerBroadcast: figures(frames),
      shownPerBroadcast: figures(24),
      hopLimitPerBroadcast: figures(0),
    });
    const markdown: string = renderResults({
      date: "2026-01-01T00:00:00.000Z",
      command: "npm run bench",
      seconds: 1,
      sectionSeconds: {},
      machine: {},
      results: {
        frames: {
          peers: 25,
          links: 40,
          treeHopLimit: 8,
          modes: { dedup: mode(56), heal: { ...mode(24), firstFrames: 56 } },
        },
      },
      failures: [],
    });
    expect(markdown).toContain("| heal | 5 | 24 / 24 / 24 | 24 / 24 / 24 | 0 / 0 / 0 |");
    expect(markdown).toContain("Heal mode's first broadcast floods and prunes the links to a tree (56 frames)");
  });
});
