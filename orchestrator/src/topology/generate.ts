import { mulberry32 } from "../random.js";
import { linkKey } from "./link-key.js";
import type { GenerateSpec } from "./schema.js";

export interface GeneratedPeer {
  name: string;
  connect: string[];
}

/**
 * The peers of a generated shape, named <prefix>1..<prefix>N. Each link appears once, in the
 * connect list of its higher-numbered end (peers dial the ones started before them).
 */
export function generatePeers(spec: GenerateSpec): GeneratedPeer[] {
  const size = spec.size;
  const prefix = spec.prefix ?? "p";
  const edges = shapeEdges(spec);
  const connect = Array.from({ length: size }, () => [] as number[]);
  for (const [from, to] of edges) connect[Math.max(from, to)]!.push(Math.min(from, to));
  return connect.map((targets, i) => ({
    name: `${prefix}${i + 1}`,
    connect: targets.sort((a, b) => a - b).map((j) => `${prefix}${j + 1}`),
  }));
}

/** Edges as 0-based index pairs. */
function shapeEdges(spec: GenerateSpec): Array<[number, number]> {
  const n = spec.size;
  const edges: Array<[number, number]> = [];
  switch (spec.shape) {
    case "chain":
      for (let i = 1; i < n; i++) edges.push([i, i - 1]);
      break;
    case "ring":
      for (let i = 1; i < n; i++) edges.push([i, i - 1]);
      // Two peers are already a ring; a second link between them would duplicate the first.
      if (n > 2) edges.push([0, n - 1]);
      break;
    case "star":
      for (let i = 1; i < n; i++) edges.push([i, 0]);
      break;
    case "tree": {
      const fanout = spec.fanout ?? 2;
      for (let i = 1; i < n; i++) edges.push([i, Math.floor((i - 1) / fanout)]);
      break;
    }
    case "mesh":
      for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) edges.push([i, j]);
      break;
    case "two-earlier":
      // Each peer dials the two before it (p2 only p1): with one peer gone, the peers after it
      // still reach the ones before it over a link that skips it, so the rest stay connected.
      for (let i = 1; i < n; i++) {
        edges.push([i, i - 1]);
        if (i >= 2) edges.push([i, i - 2]);
      }
      break;
    case "random":
      return randomEdges(n, spec.degree ?? 3, spec.seed ?? 1);
  }
  return edges;
}

/** A random spanning tree (so the graph is connected), then random extra edges up to the average degree. */
function randomEdges(n: number, degree: number, seed: number): Array<[number, number]> {
  const random = mulberry32(seed);
  const pick = (below: number) => Math.floor(random() * below);
  const edges: Array<[number, number]> = [];
  const seen = new Set<string>();
  const add = (a: number, b: number) => {
    const key = linkKey(String(a), String(b));
    if (a === b || seen.has(key)) return;
    seen.add(key);
    edges.push([a, b]);
  };

  // Join the peers in a shuffled order, each to a random one already joined.
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = pick(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let i = 1; i < n; i++) add(order[i]!, order[pick(i)]!);

  const target = Math.min(Math.round((degree * n) / 2), (n * (n - 1)) / 2);
  while (edges.length < target) add(pick(n), pick(n));
  return edges;
}
