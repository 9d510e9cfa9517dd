import { readFile } from "node:fs/promises";
import { dirname, resolve as resolvePath } from "node:path";
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node } from "yaml";
import { z } from "zod";
import { DEFAULT_SEND } from "../adapter/send-template.js";
import { planStartOrder } from "../adapter/start-order.js";
import { DURATION_EXAMPLES, parseDuration } from "../../../peer/src/duration.js";
import { PartitionProblem, completeGroups } from "../faults/network-faults.js";
import { PROCESS_FAULT_NAMES } from "../faults/process-faults.js";
import { aliasProblem } from "./aliases.js";
import { didYouMean } from "../did-you-mean.js";
import { type Diagnostic, formatPath } from "./diagnostic.js";
import { generatePeers } from "./generate.js";
import { linkKey } from "./link-key.js";
import { buildContextProblem, programProblems, startPeers } from "./peer-program.js";
import {
  ACTIONS,
  DEFAULTS,
  DNS_NAME,
  MAX_PEERS,
  RESERVED_NAMES,
  STEP_SCHEMAS,
  generateSchema,
  topologyFileSchema,
  type PeerBuild,
  type PeerInterface,
  type PeerSpec,
  type Topology,
  type TopologyFile,
} from "./schema.js";
import { parsePlaceFlag, placePeers } from "./placement.js";

export type LoadResult =
  | { ok: true; topology: Topology; warnings: Diagnostic[] }
  | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

type Path = Array<string | number>;
/** The settings of `defaults` or of one peer. */
type PeerBlock = NonNullable<TopologyFile["defaults"]>;
type ZodIssue = z.core.$ZodIssue;

/**
 * `lab run --image` / `--build`: every peer runs this program instead of its own, talked to as the
 * topology's `defaults` say (their command and interface; a peer's own are ignored).
 */
export type ProgramOverride = { image: string } | { build: PeerBuild };

export interface LoadOptions {
  program?: ProgramOverride;
  /** The engines named on the command line (--engines, else P2PLAB_ENGINES): they replace the file's `engines:`. */
  engines?: string[];
  /** `--place peer=engine,…`: wins over the peers' own `placement:`. */
  place?: string;
}

export async function loadTopologyFile(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const hint =
      code === "ENOENT"
        ? "check the path; the shipped topologies are in topologies/"
        : code === "EISDIR"
          ? "give a topology file (.yaml), not a directory"
          : undefined;
    const diagnostic: Diagnostic = { file: path, line: 0, col: 0, path: "", message: `cannot read: ${code}` };
    if (hint) diagnostic.hint = hint;
    return { ok: false, errors: [diagnostic], warnings: [] };
  }
  return loadTopology(text, path, options);
}

/**
 * The largest topology file read: almost three times what 1024 peers with their settings take
 * (93 KB). The YAML parser's time grows faster than the file (here 20,000 one-line peers, 300 KB,
 * take 1.6 s to parse; 60,000 take 12 s), and a parse cannot be interrupted, not even by Ctrl-C.
 */
export const MAX_TOPOLOGY_BYTES = 256 * 1024;

/** Parses and checks a topology file's text; every problem found is returned, nothing is thrown or printed. */
export function loadTopology(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_TOPOLOGY_BYTES) {
    const message = `${bytes} bytes: a topology file is at most ${MAX_TOPOLOGY_BYTES}`;
    const diagnostic: Diagnostic = {
      file,
      line: 1,
      col: 1,
      path: "",
      message,
      hint: "large labs are written with generate: { shape, size }",
    };
    return { ok: false, errors: [diagnostic], warnings: [] };
  }
  return new TopologyLoader(text, file, options).load();
}

const DURATION_KEYS = new Set(["heartbeat", "timeout", "within", "at", "wait"]);
const PEER_LIST_KEYS = new Set(["connect", "to", "notTo"]);

class TopologyLoader {
  private readonly lineCounter = new LineCounter();
  private readonly doc: Document.Parsed;
  private readonly errors: Diagnostic[] = [];
  private readonly warnings: Diagnostic[] = [];
  private data: unknown;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly options: LoadOptions,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false });
  }

  load(): LoadResult {
    for (const warning of this.doc.warnings) this.warnings.push(this.atOffset(warning.pos[0], warning.message));
    for (const error of this.doc.errors) {
      if (error.code === "DUPLICATE_KEY") this.duplicateKey(error.pos[0]);
      else this.errors.push({ ...this.atOffset(error.pos[0], error.message), ...yamlHint(error.message) });
    }
    // Past a syntax error the document's structure cannot be trusted; duplicate keys leave it intact.
    if (this.errors.length > 0) return this.result();
    const aliases = aliasProblem(this.doc);
    if (aliases) {
      this.errors.push({ ...this.atOffset(aliases.offset, aliases.message), hint: aliases.hint });
      return this.result();
    }
    const structure = structureProblem(this.doc);
    if (structure) {
      this.errors.push({ ...this.atOffset(structure.offset, structure.message), hint: structure.hint });
      return this.result();
    }

    // aliasProblem bounds what the aliases expand to; the package's own guard would refuse an anchor used 101 times.
    const data: unknown = (this.data = this.doc.toJS({ maxAliasCount: -1 }));
    const parsed = topologyFileSchema.safeParse(data);
    if (!parsed.success) for (const issue of parsed.error.issues) this.issue(issue, []);
    const known = this.knownPeers(data);
    for (const name of known ?? []) {
      if ((RESERVED_NAMES as readonly string[]).includes(name)) {
        this.error(
          ["peers", name],
          `peer name "${name}" is reserved: the lab's own container has it`,
          `rename it, e.g. "${name}-1"`,
          { key: true },
        );
      }
    }
    this.checkReferences(data, known);
    if (parsed.success && known) {
      const topology = this.resolve(parsed.data, known);
      if (this.errors.length === 0) return { ok: true, topology, warnings: sortByPosition(this.warnings) };
    }
    return this.result();
  }

  private result(): LoadResult {
    return { ok: false, errors: sortByPosition(this.errors), warnings: sortByPosition(this.warnings) };
  }

  // ---- positions

  private diagnostic(line: number, col: number, path: Path, message: string, hint?: string): Diagnostic {
    const diagnostic: Diagnostic = { file: this.file, line, col, path: formatPath(path), message };
    if (hint) diagnostic.hint = hint;
    return diagnostic;
  }

  private atOffset(offset: number, message: string): Diagnostic {
    const { line, col } = this.lineCounter.linePos(offset);
    return this.diagnostic(line, col, [], message);
  }

  /** Where the value at path starts; where its nearest existing ancestor starts when it is absent. */
  private at(path: Path, message: string, hint?: string, { key = false } = {}): Diagnostic {
    const { node, keyNode } = this.locate(path);
    const target = key ? (keyNode ?? node) : (node ?? keyNode);
    const offset = target?.range?.[0] ?? 0;
    const { line, col } = this.lineCounter.linePos(offset);
    return this.diagnostic(line, col, path, message, hint);
  }

  private locate(path: Path): { node?: Node | undefined; keyNode?: Node | undefined } {
    let node = (this.doc.contents ?? undefined) as Node | undefined;
    let keyNode: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return { node };
        keyNode = pair.key as Node;
        // `alice:` has a null value whose range is empty; point at the key instead.
        const value = pair.value as Node | null;
        node = isScalar(value) && value.value === null ? undefined : (value ?? undefined);
        if (!node) return { keyNode };
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
        node = node.items[segment] as Node;
        keyNode = undefined;
      } else {
        return { node };
      }
    }
    return { node, keyNode };
  }

  /**
   * Like `at`, but `offset` characters into the string value at path, when the file spells the
   * value as it reads (no escapes, no folding); otherwise where the string starts.
   */
  private atCharacter(path: Path, offset: number, message: string, hint?: string): Diagnostic {
    const diagnostic = this.at(path, message, hint);
    const { node } = this.locate(path);
    if (!isScalar(node) || typeof node.value !== "string" || !node.range) return diagnostic;
    const [from, to] = node.range;
    const source = this.text.slice(from, to);
    const start =
      node.type === "PLAIN" && source === node.value
        ? from
        : (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") && source.slice(1, -1) === node.value
          ? from + 1
          : undefined;
    if (start === undefined) return diagnostic;
    const { line, col } = this.lineCounter.linePos(start + offset);
    return { ...diagnostic, line, col };
  }

  private error(path: Path, message: string, hint?: string, options?: { key?: boolean }): void {
    this.errors.push(this.at(path, message, hint, options));
  }

  private warning(path: Path, message: string, hint?: string, options?: { key?: boolean }): void {
    this.warnings.push(this.at(path, message, hint, options));
  }

  private valueAt(path: Path): unknown {
    let value = this.data;
    for (const segment of path) {
      if (typeof value !== "object" || value === null) return undefined;
      value = (value as Record<string | number, unknown>)[segment];
    }
    return value;
  }

  // ---- YAML duplicate keys

  private duplicateKey(offset: number): void {
    const path = this.keyPathAt(this.doc.contents, [], offset) ?? [];
    const name = path.at(-1);
    const inPeers = path.length === 2 && path[0] === "peers";
    const message = inPeers
      ? `duplicate peer name "${String(name)}"`
      : name === undefined
        ? "duplicate key"
        : `duplicate key "${name}"`;
    // The position is the later key's (the yaml error's), not the first one's that locate() would find.
    const { line, col } = this.lineCounter.linePos(offset);
    this.errors.push(
      this.diagnostic(line, col, path, message, inPeers ? "rename one of the peers" : "remove one of them"),
    );
  }

  private keyPathAt(node: unknown, path: Path, offset: number): Path | undefined {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (isScalar(key) && key.range?.[0] === offset) return [...path, String(key.value)];
        const inner = this.keyPathAt(pair.value, [...path, isScalar(key) ? String(key.value) : "?"], offset);
        if (inner) return inner;
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) {
        const inner = this.keyPathAt(item, [...path, index], offset);
        if (inner) return inner;
      }
    }
    return undefined;
  }

  // ---- zod issues → diagnostics

  private issue(issue: ZodIssue, base: Path): void {
    const path = [...base, ...(issue.path as Path)];
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) this.unknownKey([...path, key]);
        return;
      case "invalid_union":
        if (path.length === 2 && path[0] === "scenario") return this.invalidStep(path);
        // A union the schema words itself (a step's value): its words, not the union's.
        if (!issue.message.startsWith("Invalid input")) return this.error(path, issue.message);
        return this.error(
          path,
          `expected ${describeExpected("union", path)}, got ${describeValue(this.valueAt(path))}`,
          typeof this.valueAt(path) === "number" ? `quote it: "${String(this.valueAt(path))}"` : undefined,
        );
      case "invalid_key": {
        const name = String(path.at(-1));
        if (path.length === 2 && path[0] === "peers") {
          return this.error(
            path,
            `peer name "${name}" is not DNS-safe (lowercase letters, digits and '-', at most 32)`,
            `try "${dnsSafe(name)}"`,
            { key: true },
          );
        }
        return this.error(path, `invalid key "${name}"`, undefined, { key: true });
      }
      case "invalid_type": {
        if (!this.doc.hasIn(path)) {
          const field = String(path.at(-1));
          return this.error(path.slice(0, -1), `missing required field "${field}"`);
        }
        const value = this.valueAt(path);
        const expected = issue.expected === "int" ? "an integer" : describeExpected(issue.expected, path);
        const hint =
          path.includes("env") && (typeof value === "number" || typeof value === "boolean")
            ? `quote it: "${String(value)}"`
            : undefined;
        const got = typeof value === "number" ? String(value) : describeType(value);
        return this.error(path, `expected ${expected}, got ${got}`, hint);
      }
      case "invalid_value": {
        const value = this.valueAt(path);
        const options = issue.values.map(String);
        const hint = typeof value === "string" ? didYouMean(value, options) : undefined;
        return this.error(path, `expected one of ${options.join(", ")}, got ${describeValue(value)}`, hint);
      }
      case "invalid_format": {
        const value = this.valueAt(path);
        const hint =
          path.length === 1 && path[0] === "name" && typeof value === "string" ? `try "${dnsSafe(value)}"` : undefined;
        return this.error(path, `${issue.message}, got ${JSON.stringify(value)}`, hint);
      }
      case "too_small":
      case "too_big": {
        const value = this.valueAt(path);
        const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
        if (issue.origin === "string" && issue.code === "too_small") return this.error(path, "must not be empty");
        if (issue.origin === "array") {
          return this.error(
            path,
            `expected ${issue.code === "too_small" ? "at least" : "at most"} ${String(bound)} items`,
          );
        }
        return this.error(
          path,
          `must be ${boundWords(issue.code, issue.inclusive !== false)} ${String(bound)}, got ${describeValue(value)}`,
        );
      }
      default:
        return this.error(path, issue.message);
    }
  }

  private unknownKey(path: Path): void {
    const key = String(path.at(-1));
    const known = knownKeysAt(path.slice(0, -1));
    const list = known.length > 0 ? `known keys: ${known.join(", ")}` : undefined;
    const suggestion = didYouMean(key, known);
    const hint = suggestion && list ? `${suggestion} (${list})` : list;
    this.error(path, `unknown key "${key}"`, hint, { key: true });
  }

  /** A scenario step matched no action's schema: say which part of it is wrong, by its action's own schema. */
  private invalidStep(path: Path): void {
    const step = this.valueAt(path);
    if (!isPlainObject(step)) {
      return this.error(
        path,
        `expected a step such as "kill: bob" or "send: {from: alice, text: hi}", got ${describeType(step)}`,
      );
    }
    const keys = Object.keys(step);
    const actions = ACTIONS.filter((action) => keys.includes(action));
    if (actions.length === 1) {
      for (const inner of STEP_SCHEMAS[actions[0]!].safeParse(step).error?.issues ?? []) this.issue(inner, path);
      return;
    }
    if (actions.length > 1) {
      return this.error(
        [...path, actions[1]!],
        `a step has one action; this one has ${actions.join(", ")}`,
        `split it into ${actions.length} steps`,
        { key: true },
      );
    }
    const unknown = keys.filter((key) => key !== "at");
    for (const key of unknown) {
      const hint = didYouMean(key, ACTIONS) ?? `actions: ${ACTIONS.join(", ")}`;
      this.error([...path, key], `unknown action "${key}"`, hint, { key: true });
    }
    if (unknown.length === 0) this.error(path, `a step needs one action: ${ACTIONS.join(", ")}`);
  }

  // ---- references between peers

  /** Peer names in file order (or generated); undefined when the peers cannot be known. */
  private knownPeers(data: unknown): string[] | undefined {
    if (!isPlainObject(data)) return undefined;
    const hasPeers = data.peers !== undefined;
    const hasGenerate = data.generate !== undefined;
    if (hasPeers && hasGenerate) {
      this.error(["generate"], "use either peers or generate, not both", "remove one of them", { key: true });
      return undefined;
    }
    if (!hasPeers && !hasGenerate) {
      this.error(
        [],
        'missing required field "peers" (or "generate")',
        "list the peers, or generate them: generate: {shape: ring, size: 8}",
      );
      return undefined;
    }
    if (hasPeers) {
      if (!isPlainObject(data.peers)) return undefined;
      const node = this.doc.get("peers", true);
      // Take the order from the YAML map: object keys that look like integers would sort first.
      const order = isMap(node) ? node.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : "")) : [];
      return [...new Set(order)].filter((name) => name in (data.peers as object));
    }
    const generate = generateSchema.safeParse(data.generate);
    return generate.success ? generatePeers(generate.data).map((peer) => peer.name) : undefined;
  }

  private checkReferences(data: unknown, known: string[] | undefined): void {
    if (!known || !isPlainObject(data)) return;
    const knownSet = new Set(known);
    const ref = (path: Path, name: unknown, self?: string) => {
      if (typeof name !== "string") return;
      if (!knownSet.has(name)) {
        this.error(path, `unknown peer "${name}" (known: ${listNames(known)})`, didYouMean(name, known));
      } else if (name === self) {
        this.error(path, `${self} connects to itself`, "remove it");
      }
    };
    const refs = (path: Path, names: unknown) => {
      if (Array.isArray(names)) names.forEach((name, i) => ref([...path, i], name));
    };

    if (isPlainObject(data.peers)) {
      for (const [name, peer] of Object.entries(data.peers)) {
        if (isPlainObject(peer) && Array.isArray(peer.connect)) {
          peer.connect.forEach((target, i) => ref(["peers", name, "connect", i], target, name));
        }
      }
    }
    if (!Array.isArray(data.scenario)) return;
    data.scenario.forEach((step, i) => {
      if (!isPlainObject(step)) return;
      const path: Path = ["scenario", i];
      if (isPlainObject(step.send)) ref([...path, "send", "from"], step.send.from);
      for (const fault of PROCESS_FAULT_NAMES) ref([...path, fault], step[fault]);
      this.checkNetworkStep(path, step, known, ref);
      const expect = step.expect;
      if (!isPlainObject(expect)) return;
      const at = [...path, "expect"];
      refs([...at, "to"], expect.to);
      refs([...at, "notTo"], expect.notTo);
      if (Array.isArray(expect.partitions))
        expect.partitions.forEach((group, g) => refs([...at, "partitions", g], group));
      if (isPlainObject(expect.links)) {
        for (const direction of ["up", "down"]) {
          const links = expect.links[direction];
          if (Array.isArray(links)) links.forEach((pair, l) => refs([...at, "links", direction, l], pair));
        }
      }
      if (isPlainObject(expect.state)) {
        for (const name of Object.keys(expect.state)) {
          if (!knownSet.has(name)) {
            this.error(
              [...at, "state", name],
              `unknown peer "${name}" (known: ${listNames(known)})`,
              didYouMean(name, known),
              { key: true },
            );
          }
        }
      }
    });
  }

  /** The peers a network step names, and whether its groups or pair can be done at all. */
  private checkNetworkStep(
    path: Path,
    step: Record<string, unknown>,
    known: string[],
    ref: (path: Path, name: unknown) => void,
  ): void {
    const partition = step.partition;
    if (partition === "random" && typeof step.groups === "number" && step.groups > known.length) {
      this.error(
        [...path, "groups"],
        `${known.length} peers cannot form ${step.groups} groups`,
        `at most ${known.length}`,
      );
    }
    if (Array.isArray(partition) && partition.every((group) => Array.isArray(group))) {
      partition.forEach((group: unknown[], g) => group.forEach((name, i) => ref([...path, "partition", g, i], name)));
      const names = partition.flat();
      if (names.every((name) => typeof name === "string" && known.includes(name))) {
        try {
          completeGroups(partition as string[][], known);
        } catch (error) {
          if (!(error instanceof PartitionProblem)) throw error;
          this.error([...path, "partition"], error.message);
        }
      }
    }
    for (const key of ["cut", "link"] as const) {
      const pair = step[key];
      if (!Array.isArray(pair)) continue;
      pair.forEach((name, i) => ref([...path, key, i], name));
      if (pair.length === 2 && pair[0] === pair[1]) this.error([...path, key], `${key} needs two different peers`);
    }
    for (const key of ["loss", "delay", "rate"] as const) {
      const value = step[key];
      if (!isPlainObject(value)) continue;
      ref([...path, key, "peer"], value.peer);
      ref([...path, key, "to"], value.to);
      if (value.to !== undefined && value.to === value.peer) this.error([...path, key, "to"], "to is the peer itself");
    }
  }

  // ---- resolution

  private resolve(file: TopologyFile, names: string[]): Topology {
    const defaults = file.defaults ?? {};
    const declared = file.generate
      ? generatePeers(file.generate)
      : names.map((name) => ({ name, connect: file.peers?.[name]?.connect ?? [] }));
    const builds = this.checkProgramBlocks(file);
    const peers = declared.map(({ name, connect }): PeerSpec => {
      const own = file.peers?.[name] ?? {};
      const program = this.programSettings(file, name);
      const spec: PeerSpec = {
        name,
        connect,
        mode: own.mode ?? defaults.mode ?? DEFAULTS.mode,
        heartbeat: own.heartbeat ?? defaults.heartbeat ?? DEFAULTS.heartbeat,
        timeout: own.timeout ?? defaults.timeout ?? DEFAULTS.timeout,
        hopLimit: own.hopLimit ?? defaults.hopLimit ?? DEFAULTS.hopLimit,
        env: { ...defaults.env, ...own.env },
        limits: {
          memory: own.limits?.memory ?? defaults.limits?.memory ?? DEFAULTS.limits.memory,
          pids: own.limits?.pids ?? defaults.limits?.pids ?? DEFAULTS.limits.pids,
        },
        interface: resolveInterface(program.interface?.value),
      };
      if (spec.mode === "heal")
        spec.minNeighbours = own.minNeighbours ?? defaults.minNeighbours ?? DEFAULTS.minNeighbours;
      if (own.crashHandler ?? defaults.crashHandler) spec.crashHandler = true;
      const override = this.options.program;
      if (override) Object.assign(spec, override);
      else if (program.image !== undefined) spec.image = program.image;
      else if (program.build) spec.build = builds.get(program.build.block.join("."))!;
      if (program.command) spec.command = program.command.value;
      return spec;
    });

    this.checkTimeouts(file, peers);
    this.checkHealOnly(file);
    if (file.generate) this.checkGenerateOptions(file);
    if (file.peers && peers.length === 0) this.warning(["peers"], "no peers: the lab will be empty");
    // Also drops unknown targets and self-links (reported already) from each connect list.
    const links = this.links(peers, Boolean(file.generate));
    // An unknown or mistyped peer would make its neighbours look isolated: say so only once the rest is right.
    if (this.errors.length === 0) this.checkConnected(peers, links, Boolean(file.generate));
    if (this.errors.length === 0) this.checkPrograms(file, peers);
    if (file.scenario) this.checkDeliveredRefs(file);
    const engines = this.place(file, peers);

    return {
      name: file.name,
      ...(file.description === undefined ? {} : { description: file.description }),
      file: this.file,
      peers,
      links,
      check: file.check ?? {},
      scenario: file.scenario ?? [],
      ...(engines ? { engines } : {}),
    };
  }

  /** Puts each peer on an engine (placement.ts) when the lab spans several; returns the engines then. */
  private place(file: TopologyFile, peers: PeerSpec[]): string[] | undefined {
    const flag = parsePlaceFlag(this.options.place);
    const placement = placePeers({
      peers: peers.map((peer) => peer.name),
      engines: this.options.engines ?? file.engines,
      enginesFrom: this.options.engines ? "command line" : "file",
      own: Object.fromEntries(
        Object.entries(file.peers ?? {}).flatMap(([name, peer]) => (peer?.placement ? [[name, peer.placement]] : [])),
      ),
      flag: flag.place,
    });
    for (const problem of [...flag.problems, ...placement.problems]) {
      if ("file" in problem.at) this.error(problem.at.file, problem.message, problem.hint);
      else
        this.errors.push({
          file: "--place",
          line: 0,
          col: 0,
          path: problem.at.flag,
          message: problem.message,
          ...(problem.hint ? { hint: problem.hint } : {}),
        });
    }
    for (const peer of peers) {
      const engine = placement.byPeer.get(peer.name);
      if (engine !== undefined) peer.placement = engine;
    }
    return placement.engines;
  }

  /**
   * Where a peer's program settings come from: its own block or `defaults` (a peer's value
   * replaces the default's; image and build are one choice). Under `lab run --image`/`--build`,
   * command and interface are the defaults' alone.
   */
  private programSettings(file: TopologyFile, name: string) {
    const own: PeerBlock = this.options.program ? {} : (file.peers?.[name] ?? {});
    const defaults: PeerBlock = file.defaults ?? {};
    const pick = <K extends "command" | "interface">(
      key: K,
    ): { block: Path; value: NonNullable<PeerBlock[K]> } | undefined => {
      if (own[key] !== undefined) return { block: ["peers", name], value: own[key] };
      if (defaults[key] !== undefined) return { block: ["defaults"], value: defaults[key] };
      return undefined;
    };
    const ownsProgram = own.image !== undefined || own.build !== undefined;
    const source = ownsProgram ? own : defaults;
    return {
      image: source.image,
      build: source.build && { block: ownsProgram ? ["peers", name] : ["defaults"] },
      command: pick("command"),
      interface: pick("interface"),
    };
  }

  /**
   * The rules of each block holding program settings (defaults, each peer), said once per block:
   * image or build, a build context that is a directory holding its Dockerfile, stdio keys only
   * under `events: stdio`. Returns each block's build, resolved (the context made absolute).
   */
  private checkProgramBlocks(file: TopologyFile): Map<string, PeerBuild> {
    const blocks: Array<[Path, PeerBlock]> = [
      ...(file.defaults ? [[["defaults"], file.defaults] as [Path, PeerBlock]] : []),
      ...Object.entries(file.peers ?? {}).flatMap(([name, peer]) =>
        peer ? [[["peers", name], peer] as [Path, PeerBlock]] : [],
      ),
    ];
    const builds = new Map<string, PeerBuild>();
    for (const [path, block] of blocks) {
      if (block.image !== undefined && block.build !== undefined) {
        this.error([...path, "build"], "use either image or build, not both", "remove one of them", { key: true });
      }
      if (block.build) {
        const build: PeerBuild = {
          context: resolvePath(dirname(this.file), block.build.context),
          dockerfile: block.build.dockerfile ?? "Dockerfile",
          args: block.build.args ?? {},
        };
        builds.set(path.join("."), build);
        const problem = buildContextProblem(build);
        if (problem) this.error([...path, "build", problem.field], problem.message, problem.hint);
      }
      const settings = block.interface;
      if (settings && settings.events !== "stdio") {
        for (const key of Object.keys(settings).filter((key) => key !== "events")) {
          this.error(
            [...path, "interface", key],
            `${key} applies to events: stdio only`,
            settings.events === undefined ? "add events: stdio" : "remove it, or set events: stdio",
            { key: true },
          );
        }
      }
    }
    return builds;
  }

  /** Where a peer's program setting (a path from the peer, as peer-program.ts gives it) is written in the file. */
  private programPath(file: TopologyFile, name: string, [field, ...rest]: Path): Path {
    if (field === "connect") return file.generate ? ["generate"] : ["peers", name, "connect", ...rest];
    const program = this.programSettings(file, name);
    const ownEnv = file.peers?.[name]?.env?.[String(rest[0])] !== undefined;
    const block =
      field === "command"
        ? program.command?.block
        : field === "interface"
          ? program.interface?.block
          : field === "env" && !ownEnv
            ? ["defaults"]
            : undefined;
    return [...(block ?? ["peers", name]), field!, ...rest];
  }

  /**
   * Each peer's command, env and interface (peer-program.ts), placed where the setting is written;
   * then the start order: a cycle of ports known only at run time cannot start, and a dial that
   * cannot be waited for needs a dialler that retries. A setting shared through defaults is
   * reported once.
   */
  private checkPrograms(file: TopologyFile, peers: PeerSpec[]): void {
    const generated = Boolean(file.generate);
    const said = new Set<string>();
    const once = (diagnostic: Diagnostic, into: Diagnostic[]): void => {
      const key = `${diagnostic.line}:${diagnostic.col}:${diagnostic.message}`;
      if (said.has(key)) return;
      said.add(key);
      into.push(diagnostic);
    };
    for (const peer of peers) {
      for (const problem of programProblems(peer)) {
        const path = this.programPath(file, peer.name, problem.path);
        once(this.atCharacter(path, problem.offset ?? 0, problem.message, problem.hint), this.errors);
      }
    }
    if (this.errors.length > 0) return;
    const connectPath = (name: string, index: number): Path =>
      generated ? ["generate"] : ["peers", name, "connect", index];
    const plan = planStartOrder(startPeers(peers));
    if (!plan.ok) {
      for (const problem of plan.problems) {
        const [, name, , index] = problem.path;
        once(this.at(connectPath(name, index), problem.message, problem.hint), this.errors);
      }
      return;
    }
    for (const [dialler, dialled] of plan.order.unordered) {
      const index = peers.find((peer) => peer.name === dialler)!.connect.indexOf(dialled);
      once(
        this.at(
          connectPath(dialler, index),
          `${dialler} dials ${dialled}, which may not be listening yet: they are on a cycle of programs that do not retry a failed dial, so one of them must start first`,
          `make ${dialler}'s program retry its dial until ${dialled} listens, or break the cycle`,
        ),
        this.warnings,
      );
    }
  }

  private checkTimeouts(file: TopologyFile, peers: PeerSpec[]): void {
    const reported = new Set<string>();
    for (const peer of peers) {
      if (parseDuration(peer.timeout)! > parseDuration(peer.heartbeat)!) continue;
      const own = file.peers?.[peer.name] ?? {};
      const base: Path = own.timeout || own.heartbeat ? ["peers", peer.name] : ["defaults"];
      const source = own.timeout || own.heartbeat ? own : (file.defaults ?? {});
      const path = [...base, source.timeout ? "timeout" : "heartbeat"];
      const key = path.join(".");
      if (reported.has(key)) continue;
      reported.add(key);
      this.error(
        path,
        `timeout (${peer.timeout}) must be longer than heartbeat (${peer.heartbeat})`,
        "a neighbour is declared down after this much silence: make it a few heartbeats",
      );
    }
  }

  /**
   * `minNeighbours` is heal mode's: set for another mode it would be ignored in silence. Each
   * block is judged by the mode it gives its peers: a peer's own (or inherited) mode, the
   * defaults' mode for the defaults block.
   */
  private checkHealOnly(file: TopologyFile): void {
    const defaultMode = file.defaults?.mode ?? DEFAULTS.mode;
    const blocks: Array<[Path, PeerBlock, string]> = [
      ...(file.defaults ? [[["defaults"], file.defaults, defaultMode] as [Path, PeerBlock, string]] : []),
      ...Object.entries(file.peers ?? {}).flatMap(([name, peer]) =>
        peer ? [[["peers", name], peer, peer.mode ?? defaultMode] as [Path, PeerBlock, string]] : [],
      ),
    ];
    for (const [path, block, mode] of blocks) {
      if (block.minNeighbours === undefined || mode === "heal") continue;
      this.error(
        [...path, "minNeighbours"],
        `minNeighbours applies to mode heal only; ${path.length === 1 ? "the defaults' mode" : `${String(path[1])}'s mode`} is ${mode}`,
        path.length === 1
          ? "set mode: heal under defaults too, or set minNeighbours on the heal peers"
          : "add mode: heal, or remove it",
        { key: true },
      );
    }
  }

  private checkGenerateOptions(file: TopologyFile): void {
    const generate = file.generate!;
    const onlyFor = { fanout: "tree", degree: "random", seed: "random" } as const;
    for (const [key, shape] of Object.entries(onlyFor)) {
      if (generate[key as keyof typeof onlyFor] !== undefined && generate.shape !== shape) {
        this.warning(
          ["generate", key],
          `${key} only applies to shape ${shape}; ignored for ${generate.shape}`,
          undefined,
          { key: true },
        );
      }
    }
  }

  /**
   * One link per connect entry, [peer, target]. A pair declared twice (either direction) is kept
   * once, with a warning, and dropped from the later peer's connect list so it is dialled once.
   */
  private links(peers: PeerSpec[], generated: boolean): Array<[string, string]> {
    const known = new Set(peers.map((peer) => peer.name));
    const links: Array<[string, string]> = [];
    const declaredAt = new Map<string, Path>();
    for (const peer of peers) {
      const kept: string[] = [];
      peer.connect.forEach((target, i) => {
        if (!known.has(target) || target === peer.name) return;
        const pair = linkKey(peer.name, target);
        const path: Path = generated ? ["generate"] : ["peers", peer.name, "connect", i];
        const first = declaredAt.get(pair);
        if (first) {
          this.warning(
            path,
            `the link ${peer.name}–${target} is already declared at ${formatPath(first)}`,
            "remove one of them: a link is one connection, dialled from one end",
          );
          return;
        }
        declaredAt.set(pair, path);
        links.push([peer.name, target]);
        kept.push(target);
      });
      peer.connect = kept;
    }
    return links;
  }

  private checkConnected(peers: PeerSpec[], links: Array<[string, string]>, generated: boolean): void {
    if (peers.length < 2) return;
    const parent = new Map(peers.map((peer) => [peer.name, peer.name]));
    const root = (name: string): string => {
      while (parent.get(name) !== name) name = parent.get(name)!;
      return name;
    };
    for (const [a, b] of links) parent.set(root(a), root(b));
    const sizes = new Map<string, number>();
    for (const peer of peers) sizes.set(root(peer.name), (sizes.get(root(peer.name)) ?? 0) + 1);
    if (sizes.size === 1) return;
    // The largest group is "the rest"; on a tie, the one holding the first peer.
    let main = root(peers[0]!.name);
    for (const [group, size] of sizes) if (size > sizes.get(main)!) main = group;
    // One warning per group apart, at its first peer: three separate networks of eight are two warnings, not sixteen.
    const apart = new Map<string, string[]>();
    for (const peer of peers) {
      const group = root(peer.name);
      if (group !== main) apart.set(group, [...(apart.get(group) ?? []), peer.name]);
    }
    for (const names of apart.values()) {
      const path: Path = generated ? ["generate"] : ["peers", names[0]!];
      const shown = names.length > 6 ? [...names.slice(0, 5), `… (${names.length} in all)`] : names;
      this.warning(
        path,
        names.length === 1
          ? `peer "${names[0]}" is not connected to the rest`
          : `peers ${shown.map((name) => (name.startsWith("…") ? name : `"${name}"`)).join(", ")} are connected to each other but not to the rest`,
        names.length === 1
          ? "connect it to a peer, unless the partition is the experiment"
          : "connect one of them to a peer, unless the partition is the experiment",
        { key: true },
      );
    }
  }

  /** `delivered` and a cost's `since` name a message by its text or its `as`; one matching no earlier send is likely a typo. */
  private checkDeliveredRefs(file: TopologyFile): void {
    const sent: string[] = [];
    file.scenario!.forEach((step, i) => {
      if ("send" in step) {
        sent.push(step.send.text);
        if (step.send.as !== undefined) sent.push(step.send.as);
        return;
      }
      if (!("expect" in step)) return;
      const refs: Array<[Path, string | undefined]> = [
        [["scenario", i, "expect", "delivered"], step.expect.delivered],
        [["scenario", i, "expect", "cost", "since"], step.expect.cost?.since],
      ];
      for (const [path, name] of refs) {
        if (name === undefined || sent.includes(name)) continue;
        this.warning(
          path,
          `no earlier send has the text or name "${name}"`,
          didYouMean(name, sent) ?? "send it first, or name the send with as:",
        );
      }
    });
  }
}

/**
 * What would make the rest of the loading wrong or slow, found before anything expands the file:
 * a `__proto__` key (JavaScript objects take it as their prototype, so it would slip past the
 * name rules) and more peers than a lab on one engine can hold (the checks after this grow
 * faster than the peer count).
 */
function structureProblem(doc: Document.Parsed): { offset: number; message: string; hint: string } | undefined {
  let found: { offset: number; message: string; hint: string } | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === "__proto__") {
        found = {
          offset: pair.key.range?.[0] ?? 0,
          message: 'a key named "__proto__" is not allowed',
          hint: "rename it",
        };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (found) return found;
  const peers = isMap(doc.contents)
    ? doc.contents.items.find((pair) => isScalar(pair.key) && pair.key.value === "peers")
    : undefined;
  if (peers && isMap(peers.value) && peers.value.items.length > MAX_PEERS) {
    const offset = isScalar(peers.key) ? (peers.key.range?.[0] ?? 0) : 0;
    return {
      offset,
      message: `${peers.value.items.length} peers: a lab holds at most ${MAX_PEERS}`,
      hint: "split it into several labs",
    };
  }
  return undefined;
}

/** A file's interface block → the resolved interface: json unless it says stdio; a stdio one types the text alone unless told. */
function resolveInterface(block: PeerBlock["interface"]): PeerInterface {
  if (block?.events !== "stdio") return { events: "json" };
  const { events: _events, send, ...expressions } = block;
  const given = Object.fromEntries(Object.entries(expressions).filter(([, value]) => value !== undefined));
  return { events: "stdio", send: send ?? DEFAULT_SEND, ...given };
}

function yamlHint(message: string): { hint?: string } {
  if (message.includes("multiple documents"))
    return { hint: "a topology is one YAML document: remove the `---` that starts another" };
  if (message.includes("Nested mappings are not allowed in compact mappings")) {
    return { hint: 'a value containing ": " must be quoted, e.g. description: "a: b"' };
  }
  if (message.includes("Tabs are not allowed")) return { hint: "indent with spaces" };
  return {};
}

/** "at least", or "more than" for a bound the value may not equal (`positive()`). */
function boundWords(code: "too_small" | "too_big", inclusive: boolean): string {
  if (code === "too_small") return inclusive ? "at least" : "more than";
  return inclusive ? "at most" : "less than";
}

function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => [d, i] as const)
    .sort(([a, i], [b, j]) => a.line - b.line || a.col - b.col || i - j)
    .map(([d]) => d);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function listNames(names: string[]): string {
  const shown = 12;
  return names.length <= shown ? names.join(", ") : `${names.slice(0, shown).join(", ")}, … (${names.length} in all)`;
}

/** The closest DNS-safe spelling of a name: `Bob_1` → `bob-1`. */
export function dnsSafe(name: string): string {
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 32)
    .replace(/-+$/, "");
  return DNS_NAME.test(safe) ? safe : "peer";
}

function describeExpected(expected: string, path: Path): string {
  const key = [...path].reverse().find((segment) => typeof segment === "string");
  const inList = typeof path.at(-1) === "number";
  if (key && DURATION_KEYS.has(key) && !inList) return `a duration such as ${DURATION_EXAMPLES}`;
  if (key && (key === "from" || (PROCESS_FAULT_NAMES as readonly string[]).includes(key)) && !inList)
    return "a peer name";
  if (key && PEER_LIST_KEYS.has(key)) return inList ? "a peer name" : "a list of peer names";
  if (key === "partitions")
    return inList ? "a list of peer names" : "a list of peer groups such as [[alice], [bob, carol]]";
  if (key === "up" || key === "down")
    return inList ? "a pair of peer names such as [alice, bob]" : "a list of peer pairs such as [[alice, bob]]";
  if (path.length === 2 && path[0] === "peers") return "a map of peer settings (or nothing)";
  if (key === "command")
    return inList ? "an argument (a string) or a group of them (a list of strings)" : "a list of arguments";
  if (key === "memory") return "a size such as 256m or 1g";
  const names: Record<string, string> = {
    array: "a list",
    tuple: "a list",
    object: "a map",
    record: "a map",
    string: "a string",
    number: "a number",
    boolean: "true or false",
  };
  return names[expected] ?? expected;
}

function describeType(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "boolean") return "true or false";
  return `a ${typeof value}`;
}

function describeValue(value: unknown): string {
  return typeof value === "object" && value !== null ? describeType(value) : (JSON.stringify(value) ?? "nothing");
}

/** The keys a strict object accepts at a path of the topology file, for "did you mean". */
function knownKeysAt(path: Path): string[] {
  let schema: z.ZodType | undefined = topologyFileSchema;
  for (const segment of path) {
    schema = schema && childSchema(schema, segment);
  }
  return schema ? objectKeys(schema) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  while (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) schema = schema.unwrap() as z.ZodType;
  return schema;
}

function childSchema(schema: z.ZodType, segment: string | number): z.ZodType | undefined {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) return inner.shape[segment] as z.ZodType | undefined;
  if (inner instanceof z.ZodRecord) return inner.valueType as z.ZodType;
  if (inner instanceof z.ZodArray) return inner.element as z.ZodType;
  if (inner instanceof z.ZodUnion) {
    const options = inner.options as z.ZodType[];
    if (typeof segment === "number") return undefined;
    return options.map((option) => childSchema(option, segment)).find(Boolean);
  }
  return undefined;
}

function objectKeys(schema: z.ZodType): string[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) return Object.keys(inner.shape);
  if (inner instanceof z.ZodUnion) return [...new Set((inner.options as z.ZodType[]).flatMap(objectKeys))];
  return [];
}
