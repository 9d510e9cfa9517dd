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
