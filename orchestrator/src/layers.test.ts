import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SOURCES = ["orchestrator/src", "peer/src"];

/** Every non-test .ts file under the source folders, relative to the repository. */
function sourceFiles(): string[] {
  return SOURCES.flatMap((source) =>
    readdirSync(join(ROOT, source), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
      .map((file) => join(source, file)),
  );
}

/** The relative specifiers a file imports or re-exports, types and lazy imports included. */
function relativeImports(text: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.[^"']*)["']/g;
  return [...text.matchAll(pattern)].map((match) => match[1]!);
}

/** orchestrator/src/check/checker.ts → "check"; a file directly in orchestrator/src → "(root)"; peer/src/* → "peer". */
function folderOf(file: string): string {
  if (file.startsWith("peer/src/")) return "peer";
  const inner = relative("orchestrator/src", file).split("/");
  return inner.length === 1 ? "(root)" : inner[0]!;
}

interface Edge {
  from: string;
  to: string;
  /** One file-level import behind the edge, to say where to look. */
  example: string;
}

function folderEdges(): Edge[] {
  const edges = new Map<string, Edge>();
  for (const file of sourceFiles()) {
    for (const specifier of relativeImports(readFileSync(join(ROOT, file), "utf8"))) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, ".ts");
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from !== to && !edges.has(`${from}>${to}`))
        edges.set(`${from}>${to}`, { from, to, example: `${file} imports ${target}` });
    }
  }
  return [...edges.values()];
}

/** Each cycle of folders, found by a depth-first search, as "a → b → a" with the imports behind it. */
function findCycles(edges: Edge[]): string[] {
  const next = new Map<string, Edge[]>();
  for (const edge of edges) next.set(edge.from, [...(next.get(edge.from) ?? []), edge]);
  const cycles = new Map<string, string>();
  const visit = (node: string, path: Edge[], onPath: string[]): void => {
    for (const edge of next.get(node) ?? []) {
      const back = onPath.indexOf(edge.to);
      if (back >= 0) {
        const loop = [...path.slice(back), edge];
        // The same loop entered at another folder is one cycle.
        const key = loop
          .map((e) => e.from)
          .sort()
          .join(" ");
        if (!cycles.has(key))
          cycles.set(
            key,
            `${[...loop.map((e) => e.from), edge.to].join(" → ")} (${loop.map((e) => e.example).join("; ")})`,
          );
      } else if (!visited.has(edge.to)) {
        visit(edge.to, [...path, edge], [...onPath, edge.to]);
      }
    }
    visited.add(node);
  };
  const visited = new Set<string>();
  for (const node of next.keys()) if (!visited.has(node)) visit(node, [], [node]);
  return [...cycles.values()];
}

describe("the import graph between folders", () => {
  it("has no cycle: each layer imports only the layers below it", () => {
    const cycles = findCycles(folderEdges());
    if (cycles.length > 0) expect.fail(`folders import each other:\n${cycles.join("\n")}`);
  });

  it("sees the imports it checks", () => {
    const edges = folderEdges().map((edge) => `${edge.from} → ${edge.to}`);
    expect(edges).toContain("cli → lab");
    expect(edges).toContain("topology → peer");
  });

  it("names a cycle when there is one", () => {
    const edge = (from: string, to: string): Edge => ({ from, to, example: `${from}/x.ts imports ${to}/y.ts` });
    expect(findCycles([edge("a", "b"), edge("b", "c"), edge("c", "a"), edge("c", "d")])).toEqual([
      "a → b → c → a (a/x.ts imports b/y.ts; b/x.ts imports c/y.ts; c/x.ts imports a/y.ts)",
    ]);
    expect(findCycles([edge("a", "b"), edge("b", "c"), edge("a", "c")])).toEqual([]);
  });
});
