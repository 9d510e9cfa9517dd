import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random.js";
import { type GeneratedPeer, generatePeers } from "./generate.js";
import { SHAPES } from "./schema.js";

function edges(peers: GeneratedPeer[]): Array<[string, string]> {
  return peers.flatMap((peer) => peer.connect.map((target): [string, string] => [peer.name, target]));
}

function isConnected(peers: GeneratedPeer[]): boolean {
  const neighbours = new Map(peers.map((peer) => [peer.name, new Set<string>()]));
  for (const [a, b] of edges(peers)) {
    neighbours.get(a)!.add(b);
    neighbours.get(b)!.add(a);
  }
  const seen = new Set([peers[0]!.name]);
  const queue = [peers[0]!.name];
  for (const name of queue) {
    for (const next of neighbours.get(name)!) if (!seen.has(next)) (queue.push(next), seen.add(next));
  }
  return seen.size === peers.length;
}

function hasNoDuplicateOrSelfLinks(peers: GeneratedPeer[]): boolean {
  const keys = edges(peers).map(([a, b]) => [a, b].sort().join(" "));
  return new Set(keys).size === keys.length && edges(peers).every(([a, b]) => a !== b);
}

describe("generatePeers", () => {
  it("names peers prefix1..prefixN", () => {
    expect(generatePeers({ shape: "chain", size: 3 }).map((p) => p.name)).toEqual(["p1", "p2", "p3"]);
    expect(generatePeers({ shape: "chain", size: 2, prefix: "node" }).map((p) => p.name)).toEqual(["node1", "node2"]);
  });

  it("chain: each peer connects the one before", () => {
    expect(generatePeers({ shape: "chain", size: 4 })).toEqual([
      { name: "p1", connect: [] },
      { name: "p2", connect: ["p1"] },
      { name: "p3", connect: ["p2"] },
      { name: "p4", connect: ["p3"] },
    ]);
  });

  it("ring: a chain closed by one more link, so every peer has degree 2", () => {
    const peers = generatePeers({ shape: "ring", size: 5 });
    expect(edges(peers)).toHaveLength(5);
    expect(peers[4]!.connect).toEqual(["p1", "p4"]);
    expect(edges(generatePeers({ shape: "ring", size: 2 }))).toEqual([["p2", "p1"]]);
  });

  it("star: every spoke connects the hub p1", () => {
    const peers = generatePeers({ shape: "star", size: 5 });
    expect(peers[0]!.connect).toEqual([]);
    for (const spoke of peers.slice(1)) expect(spoke.connect).toEqual(["p1"]);
  });

  it("tree: each node connects its parent, fanout children each", () => {
    const binary = generatePeers({ shape: "tree", size: 7 });
    expect(binary.map((p) => p.connect[0] ?? null)).toEqual([null, "p1", "p1", "p2", "p2", "p3", "p3"]);
    const ternary = generatePeers({ shape: "tree", size: 13, fanout: 3 });
    const children = ternary.filter((p) => p.connect[0] === "p1").map((p) => p.name);
    expect(children).toEqual(["p2", "p3", "p4"]);
    expect(edges(ternary)).toHaveLength(12);
  });

  it("mesh: a complete graph", () => {
    const peers = generatePeers({ shape: "mesh", size: 6 });
    expect(edges(peers)).toHaveLength(15);
    expect(peers[5]!.connect).toEqual(["p1", "p2", "p3", "p4", "p5"]);
  });

  it("two-earlier: each peer dials the two before it, p2 only p1", () => {
    expect(generatePeers({ shape: "two-earlier", size: 5 })).toEqual([
      { name: "p1", connect: [] },
      { name: "p2", connect: ["p1"] },
      { name: "p3", connect: ["p1", "p2"] },
      { name: "p4", connect: ["p2", "p3"] },
      { name: "p5", connect: ["p3", "p4"] },
    ]);
    expect(edges(generatePeers({ shape: "two-earlier", size: 2 }))).toEqual([["p2", "p1"]]);
  });

  it("two-earlier: removing any single peer leaves the rest connected", () => {
    for (const size of [3, 4, 5, 8, 25, 64]) {
      const peers = generatePeers({ shape: "two-earlier", size });
      for (const gone of peers) {
        const rest = peers
          .filter((peer) => peer !== gone)
          .map((peer) => ({ ...peer, connect: peer.connect.filter((target) => target !== gone.name) }));
        expect(isConnected(rest), `${size} peers without ${gone.name}`).toBe(true);
      }
    }
    // A chain does not survive it: the check above can fail.
    const chain = generatePeers({ shape: "chain", size: 3 });
    expect(isConnected([chain[0]!, { ...chain[2]!, connect: [] }])).toBe(false);
  });

  it("random: connected, near the target degree, no duplicate links", () => {
    for (const seed of [1, 2, 7, 99]) {
      for (const [size, degree] of [
        [32, 3],
        [10, 4],
        [100, 2.5],
        [5, 10],
      ] as const) {
        const peers = generatePeers({ shape: "random", size, degree, seed });
        expect(peers).toHaveLength(size);
        expect(isConnected(peers)).toBe(true);
        expect(hasNoDuplicateOrSelfLinks(peers)).toBe(true);
        const target = Math.min(Math.round((degree * size) / 2), (size * (size - 1)) / 2);
        expect(edges(peers)).toHaveLength(Math.max(target, size - 1));
      }
    }
  });

  it("random: the same seed gives the same graph, another seed another", () => {
    const spec = { shape: "random", size: 32, degree: 3, seed: 7 } as const;
    expect(generatePeers(spec)).toEqual(generatePeers(spec));
    expect(generatePeers({ ...spec, seed: 8 })).not.toEqual(generatePeers(spec));
  });

  it("every shape is connected and free of duplicate links at every size", () => {
    for (const shape of SHAPES) {
      for (const size of [2, 3, 7, 64, 256]) {
        const peers = generatePeers({ shape, size });
        expect(isConnected(peers), `${shape} ${size}`).toBe(true);
        expect(hasNoDuplicateOrSelfLinks(peers), `${shape} ${size}`).toBe(true);
      }
    }
  });
});

describe("mulberry32", () => {
  it("is deterministic and stays in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 1000; i++) {
      const value = a();
      expect(value).toBe(b());
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
