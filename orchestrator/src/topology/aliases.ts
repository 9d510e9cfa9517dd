import { isAlias, isMap, isNode, isSeq, visit, type Alias, type Document, type Node } from "yaml";

/** How many values aliases may expand a topology to: far more than a lab needs, far fewer than hang the loader. */
export const MAX_EXPANDED_VALUES = 100_000;

export interface AliasProblem {
  /** Where the alias is in the text. */
  offset: number;
  message: string;
  hint: string;
}

/**
 * Checks a parsed document's aliases before anything expands them: each names an anchor set
 * before it, none is inside the value it names, and together they do not expand the document past
 * MAX_EXPANDED_VALUES (aliases of aliases multiply: the "billion laughs"). The yaml package's own
 * guard (toJS's maxAliasCount) says neither where nor why, and refuses an anchor used 101 times.
 */
export function aliasProblem(doc: Document.Parsed): AliasProblem | undefined {
  const targets = new Map<Alias, Node>();
  const anchors = new Map<string, Node>();
  let problem: AliasProblem | undefined;
  visit(doc, {
    Node: (_key, node, path) => {
      if (!isAlias(node)) {
        if (node.anchor) anchors.set(node.anchor, node);
        return undefined;
      }
      const target = anchors.get(node.source);
      if (target === undefined) {
        problem = at(
          node,
          `the alias *${node.source} names no anchor before it`,
          `set the anchor first with &${node.source}, or write the value out`,
        );
        return visit.BREAK;
      }
      // Anchors come before their aliases, so any loop of aliases has one inside its own target.
      if (path.includes(target)) {
        problem = at(
          node,
          `the alias *${node.source} is inside the value it names, so that value never ends`,
          "write the value out",
        );
        return visit.BREAK;
      }
      targets.set(node, target);
      return undefined;
    },
  });
  if (problem) return problem;

  const sizes = new Map<Node, number>();
  const size = (node: unknown): number => {
    if (!isNode(node)) return 1;
    if (isAlias(node)) return size(targets.get(node));
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let total = 1;
    if (isMap(node)) for (const pair of node.items) total += size(pair.key) + size(pair.value);
    if (isSeq(node)) for (const item of node.items) total += size(item);
    sizes.set(node, total);
    return total;
  };
  let expanded = 0;
  visit(doc, {
    Node: (_key, node) => {
      expanded += isAlias(node) ? size(node) : 1;
      if (isAlias(node) && expanded > MAX_EXPANDED_VALUES) {
        problem = at(
          node,
          `the alias *${node.source} expands the document past ${MAX_EXPANDED_VALUES} values (aliases of aliases multiply: a "billion laughs")`,
          "write the values out; a topology needs nowhere near this many",
        );
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return problem;
}

function at(alias: Alias, message: string, hint: string): AliasProblem {
  return { offset: alias.range?.[0] ?? 0, message, hint };
}
