/** A problem in an input file, with where it is and how to fix it. Line and col are 1-based; 0 = the whole file. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** The field, e.g. `peers.carol.connect[0]`; empty for the file as a whole. */
  path: string;
  message: string;
  hint?: string;
}

/** `topologies/chain.yaml:12:7 peers.carol.connect[0]: unknown peer "carl" (known: …) — did you mean "carol"?` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : `${d.file}:`;
  const what = d.path ? `${d.path}: ${d.message}` : d.message;
  return `${where} ${what}${d.hint ? ` — ${d.hint}` : ""}`;
}

/** `["peers", "carol", "connect", 0]` → `peers.carol.connect[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(String(key))) text += text ? `.${String(key)}` : String(key);
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest candidate within edit distance 2 (case-insensitive), if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closest(word, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}
