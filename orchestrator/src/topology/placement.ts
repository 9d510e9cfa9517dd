import { didYouMean } from "../did-you-mean.js";

/**
 * Which engine each peer runs on. The engines come from --engines, P2PLAB_ENGINES or the file's
 * `engines:` (the CLI chose); a peer goes where `--place` puts it, else where its own
 * `placement:` does, else round robin over the engines by its position in the lab (`spread`).
 * Pure: the loader turns each problem into a diagnostic at its place.
 */

export interface PlacementInput {
  /** Every peer, in the lab's order. */
  peers: string[];
  /** The engines in use; undefined: the default one. */
  engines: string[] | undefined;
  /** Where the engine list came from: the file's own list is checked at its place. */
  enginesFrom: "file" | "command line";
  /** The file's per-peer `placement:`. */
  own: Record<string, string>;
  /** `--place peer=engine,…`. */
  flag: Record<string, string>;
}

export interface PlacementProblem {
  /** Where it is: the file's field, or the --place flag's entry. */
  at: { file: Array<string | number> } | { flag: string };
  message: string;
  hint?: string;
}

export interface Placement {
  /** Present when the lab spans several engines: then every peer has one. */
  engines?: string[];
  byPeer: Map<string, string>;
  problems: PlacementProblem[];
}

export function placePeers(input: PlacementInput): Placement {
  const problems: PlacementProblem[] = [];
  const engines = input.engines ?? ["default"];
  if (input.enginesFrom === "file") {
    engines.forEach((engine, i) => {
      if (engines.indexOf(engine) !== i)
        problems.push({ at: { file: ["engines", i] }, message: `engine "${engine}" is listed twice` });
    });
  }
  const known = `engines: ${engines.join(", ")}`;
  const unknownEngine = (engine: string) => ({
    message: `unknown engine "${engine}" (${known})`,
    hint: didYouMean(engine, engines) ?? "add it to engines (the topology's, --engines or P2PLAB_ENGINES)",
  });
  for (const [peer, engine] of Object.entries(input.own)) {
    if (!engines.includes(engine))
      problems.push({ at: { file: ["peers", peer, "placement"] }, ...unknownEngine(engine) });
  }
  for (const [peer, engine] of Object.entries(input.flag)) {
    if (!input.peers.includes(peer)) {
      problems.push({
        at: { flag: `${peer}=${engine}` },
        message: `unknown peer "${peer}"`,
        hint: didYouMean(peer, input.peers) ?? `peers: ${input.peers.join(", ")}`,
      });
    } else if (!engines.includes(engine)) {
      problems.push({ at: { flag: `${peer}=${engine}` }, ...unknownEngine(engine) });
    }
  }
  if (engines.length < 2) return { byPeer: new Map(), problems };
  const byPeer = new Map(
    input.peers.map((peer, i) => [peer, input.flag[peer] ?? input.own[peer] ?? engines[i % engines.length]!]),
  );
  return { engines, byPeer, problems };
}

/** `--place bob=b,carol=c` → {bob: "b", carol: "c"}; an entry without `=` is a problem. */
export function parsePlaceFlag(text: string | undefined): {
  place: Record<string, string>;
  problems: PlacementProblem[];
} {
  const place: Record<string, string> = {};
  const problems: PlacementProblem[] = [];
  for (const entry of (text ?? "").split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    const match = /^([^=\s]+)=([^=\s]+)$/.exec(entry);
    if (match) place[match[1]!] = match[2]!;
    else
      problems.push({
        at: { flag: entry },
        message: "expected PEER=ENGINE",
        hint: "e.g. --place bob=other,carol=default",
      });
  }
  return { place, problems };
}
