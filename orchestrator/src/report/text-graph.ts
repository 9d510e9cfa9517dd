import { linkKey } from "../topology/link-key.js";

export interface GraphNode {
  name: string;
  /** Shown after the name: "✕ killed", "⏸ paused". */
  mark?: string;
}

/**
 * Draws a graph for a terminal, one block per connected component: a path on one line
 * (`alice ── bob ── carol`), anything else as a spanning tree with the remaining links listed.
 */
export function drawGraph(nodes: GraphNode[], links: Array<[string, string]>): string[] {
  const order = new Map(nodes.map((node, index) => [node.name, index]));
  const label = new Map(nodes.map((node) => [node.name, node.mark ? `${node.name} ${node.mark}` : node.name]));
  const adjacency = new Map(nodes.map((node) => [node.name, [] as string[]]));
  for (const [a, b] of links) {
    if (!adjacency.has(a) || !adjacency.has(b) || a === b || adjacency.get(a)!.includes(b)) continue;
    adjacency.get(a)!.push(b);
    adjacency.get(b)!.push(a);
  }
  for (const neighbors of adjacency.values()) neighbors.sort((x, y) => order.get(x)! - order.get(y)!);

  const lines: string[] = [];
  const placed = new Set<string>();
  for (const { name } of nodes) {
    if (placed.has(name)) continue;
    const component = componentOf(name, adjacency);
    for (const member of component) placed.add(member);
    const edges = component.reduce((sum, member) => sum + adjacency.get(member)!.length, 0) / 2;
    const isPath = edges === component.length - 1 && component.every((member) => adjacency.get(member)!.length <= 2);
    if (isPath) {
      const end = component.find((member) => adjacency.get(member)!.length <= 1)!;
      lines.push(
        walkPath(end, adjacency)
          .map((member) => label.get(member)!)
          .join(" ── "),
      );
    } else {
      lines.push(...drawTree(component, adjacency, label));
    }
  }
  return lines;
}

function componentOf(start: string, adjacency: Map<string, string[]>): string[] {
  const seen = new Set([start]);
  const queue = [start];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    for (const next of adjacency.get(current)!) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return [...seen];
}

function walkPath(end: string, adjacency: Map<string, string[]>): string[] {
  const path = [end];
  for (let previous: string | undefined, current = end; ;) {
    const next = adjacency.get(current)!.find((n) => n !== previous);
    if (next === undefined) return path;
    path.push(next);
    [previous, current] = [current, next];
  }
}

/** A breadth-first spanning tree from the best-connected peer, then the links it left out. */
function drawTree(component: string[], adjacency: Map<string, string[]>, label: Map<string, string>): string[] {
  const root = component.reduce((best, member) =>
    adjacency.get(member)!.length > adjacency.get(best)!.length ? member : best,
  );
  const children = new Map<string, string[]>();
  const treeEdges = new Set<string>();
  const seen = new Set([root]);
  const queue = [root];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    for (const next of adjacency.get(current)!) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
      children.set(current, [...(children.get(current) ?? []), next]);
      treeEdges.add(linkKey(current, next));
    }
  }
  const lines = [label.get(root)!];
  const render = (node: string, indent: string): void => {
    const kids = children.get(node) ?? [];
    kids.forEach((kid, index) => {
      const last = index === kids.length - 1;
      lines.push(`${indent}${last ? "└── " : "├── "}${label.get(kid)}`);
      render(kid, `${indent}${last ? "    " : "│   "}`);
    });
  };
  render(root, "");
  const extra: string[] = [];
  for (const a of component) {
    for (const b of adjacency.get(a)!) {
      if (a < b && !treeEdges.has(linkKey(a, b))) extra.push(`${a} ── ${b}`);
    }
  }
  if (extra.length) lines.push(`(also linked: ${extra.join(", ")})`);
  return lines;
}
