import { closest } from "../did-you-mean.js";

/**
 * Placeholders in a peer's `command:` and `env:` values, so any program can be told who it is
 * and whom to dial in the form it expects.
 *
 * | placeholder            | becomes                                                          |
 * |------------------------|------------------------------------------------------------------|
 * | `{name}`               | the peer's name                                                  |
 * | `{port}`               | the port the lab gives the peer to listen on                     |
 * | `{connect}`            | one dialled peer as `host:port` — the element is repeated, below |
 * | `{connect.host}`       | its host (the peer's name: its alias on the lab network)         |
 * | `{connect.port}`       | its port (fixed, or captured from its ready line at run time)    |
 * | `{connect[i]}`         | the i-th entry of the peer's `connect` list as `host:port`       |
 * | `{connect[i].host}`    | its host                                                         |
 * | `{connect[i].port}`    | its port                                                         |
 * | `{connect[i]…?}`       | the same, but the element is left out when there is no i-th peer |
 * | `{{` and `}}`          | a literal `{` and `}`                                            |
 *
 * Repetition, for programs that take several peers:
 * - A command element that mentions `{connect}`, `{connect.host}` or `{connect.port}` (no index)
 *   is repeated once per dialled peer, in `connect` order, and left out when there is none:
 *   `"{connect}"` → `bob:7000 carol:7000` (one argv element each), `"--connect={connect}"` →
 *   `--connect=bob:7000 --connect=carol:7000`.
 * - A command element may be a list: a group repeated as a whole, for flags that take their
 *   value as the next argument: `["--connect", "{connect}"]` → `--connect bob:7000 --connect
 *   carol:7000`. A group that is not repeated is just its elements, in place.
 * - An env value is one string: its expansions per dialled peer are joined with `,`
 *   (`PEERS: "{connect}"` → `PEERS=bob:7000,carol:7000`; empty when there is none).
 *
 * Optional: the classic assignment is `./p2pchat <user> [<host> <port>]`, where the first peer
 * dials nobody. An indexed reference out of range is a validation problem, unless it ends with
 * `?`: then its element (or its whole group, or its env variable) is left out for that peer, so
 * one `defaults` command `[./p2pchat, "{name}", "{connect[0].host?}", "{connect[0].port?}"]`
 * fits every peer of a chain.
 */
export type CommandTemplate = ReadonlyArray<string | readonly string[]>;

/** What a peer definition gives this module: its command (absent: the reference peer's flags) and env. */
export interface PeerTemplate {
  command?: CommandTemplate;
  env?: Readonly<Record<string, string>>;
}

/** The values placeholders stand for, for one peer as it is started. */
export interface PlaceholderValues {
  name: string;
  /** The port the lab gives this peer. */
  port: number;
  /** The peers it dials, in its `connect` order; each peer's name is its host on the lab network. */
  connect: readonly string[];
  /**
   * The port a dialled peer listens on: fixed, or captured from its ready line. Asked only for
   * targets whose port is used; start-order.ts starts a peer only once those are known.
   */
  portOf(peer: string): number;
}

/** A problem in a template, placed for `file:line:col`: the lead maps `path` to the YAML node. */
export interface PlaceholderProblem {
  /** From the peer: `["command", 2]`, `["command", 3, 1]` (in a group), `["env", "PEERS"]`, `["connect", 1]`. */
  path: Array<string | number>;
  /** Characters into that string's value (0-based) where the problem starts. */
  offset: number;
  message: string;
  hint?: string;
}

type ConnectPart = "address" | "host" | "port";

type Ref =
  | { kind: "name" }
  | { kind: "port" }
  /** `index` undefined: the repeated target. */
  | { kind: "connect"; index: number | undefined; part: ConnectPart; optional: boolean };

type Segment = { text: string } | { ref: Ref; offset: number; source: string };

interface Template {
  segments: Segment[];
  problems: Array<Omit<PlaceholderProblem, "path">>;
}

const PLACEHOLDER = /^(name|port|connect(?:\[(\d+)\])?(?:\.(host|port))?)(\?)?$/;
const KNOWN_LIST =
  "{name}, {port}, {connect}, {connect.host}, {connect.port}, {connect[i]}, {connect[i].host}, {connect[i].port}";
/** Candidates for "did you mean". */
const KNOWN = [
  "name",
  "port",
  "connect",
  "connect.host",
  "connect.port",
  "connect[0]",
  "connect[0].host",
  "connect[0].port",
];

/** One string's literal text and placeholders, or what is wrong with it. */
function parseTemplate(text: string): Template {
  const segments: Segment[] = [];
  const problems: Template["problems"] = [];
  let literal = "";
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if ((char === "{" || char === "}") && text[at + 1] === char) {
      literal += char;
      at += 2;
      continue;
    }
    if (char === "}") {
      problems.push({ offset: at, message: "a lone }", hint: "write }} for a literal }" });
      at += 1;
      continue;
    }
    if (char !== "{") {
      literal += char;
      at += 1;
      continue;
    }
    const close = text.indexOf("}", at + 1);
    if (close === -1) {
      problems.push({ offset: at, message: "a { that is never closed", hint: "write {{ for a literal {" });
      break;
    }
    const source = text.slice(at, close + 1);
    const ref = parseRef(source.slice(1, -1));
    if ("message" in ref) problems.push({ offset: at, ...ref });
    else {
      if (literal) segments.push({ text: literal });
      literal = "";
      segments.push({ ref, offset: at, source });
    }
    at = close + 1;
  }
  if (literal) segments.push({ text: literal });
  return { segments, problems };
}

/** The reference, or why it is none. */
function parseRef(body: string): Ref | { message: string; hint: string } {
  const match = PLACEHOLDER.exec(body);
  if (!match) {
    // Compared with index 0, suggested with the index that was written.
    const index = /\[(\d+)\]/.exec(body)?.[1];
    const near = closest(body.replace(/\[\d+\]/, "[0]"), KNOWN)?.replace("[0]", `[${index ?? 0}]`);
    const known = `known: ${KNOWN_LIST}; {{ and }} for literal braces`;
    return {
      message: `unknown placeholder {${body}}`,
      hint: near === undefined ? known : `did you mean {${near}}? (${known})`,
    };
  }
  const [, head, index, part, optional] = match;
  if (optional && (head === "name" || head === "port" || index === undefined)) {
    return {
      message: `{${body}} cannot be optional`,
      hint: "only an indexed {connect[i]…} can end with ?; {connect} is left out anyway when there is no target",
    };
  }
  if (head === "name" || head === "port") return { kind: head };
  return {
    kind: "connect",
    index: index === undefined ? undefined : Number(index),
    part: (part as ConnectPart | undefined) ?? "address",
    optional: optional !== undefined,
  };
}

function mentions(template: Template, test: (ref: Ref) => boolean): boolean {
  return template.segments.some((segment) => "ref" in segment && test(segment.ref));
}

const repeats = (template: Template): boolean =>
  mentions(template, (ref) => ref.kind === "connect" && ref.index === undefined);

/** Values for one repetition; undefined when an optional reference has no target (the element is left out). */
function render(template: Template, values: PlaceholderValues, target: string | undefined): string | undefined {
  let text = "";
  for (const segment of template.segments) {
    if ("text" in segment) {
      text += segment.text;
      continue;
    }
    const ref = segment.ref;
    if (ref.kind === "name") text += values.name;
    else if (ref.kind === "port") text += String(values.port);
    else {
      const peer = ref.index === undefined ? target : values.connect[ref.index];
      if (peer === undefined) {
        if (ref.optional) return undefined;
        throw new Error(
          `${segment.source} has no target: ${values.name} dials ${values.connect.length} peer(s); validate the template first`,
        );
      }
      text +=
        ref.part === "host"
          ? peer
          : ref.part === "port"
            ? String(values.portOf(peer))
            : `${peer}:${values.portOf(peer)}`;
    }
  }
  return text;
}

function parseValid(text: string): Template {
  const template = parseTemplate(text);
  const [problem] = template.problems;
  if (problem) throw new Error(`${JSON.stringify(text)}: ${problem.message}; validate the template first`);
  return template;
}

/** The targets one element (or group) is rendered for: each dialled peer when it repeats, else once. */
function repetitions(templates: Template[], values: PlaceholderValues): Array<string | undefined> {
  return templates.some(repeats) ? [...values.connect] : [undefined];
}

/** A command template → the argv the program is started with. Throws on a template that placeholderProblems faults. */
export function expandCommand(command: CommandTemplate, values: PlaceholderValues): string[] {
  return command.flatMap((element) => {
    const group = (typeof element === "string" ? [element] : element).map(parseValid);
    return repetitions(group, values).flatMap((target) => {
      const rendered = group.map((template) => render(template, values, target));
      return rendered.every((text): text is string => text !== undefined) ? rendered : [];
    });
  });
}

/** Env values expanded; a variable whose optional reference has no target is left out. */
export function expandEnv(env: Readonly<Record<string, string>>, values: PlaceholderValues): Record<string, string> {
  const expanded: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const template = parseValid(value);
    const rendered = repetitions([template], values).map((target) => render(template, values, target));
    if (rendered.every((text): text is string => text !== undefined)) expanded[key] = rendered.join(",");
  }
  return expanded;
}

/**
 * Every problem with a peer's placeholders, given the peers it dials: syntax (unknown names,
 * braces), indexes past its `connect` list (unless optional), and, when it has a command, dialled
 * peers the command and env never pass to the program (the lab would wait for a link that no one
 * dials), the last only when nothing else is wrong.
 */
export function placeholderProblems(
  template: PeerTemplate,
  peer: { name: string; connect: readonly string[] },
): PlaceholderProblem[] {
  const problems: PlaceholderProblem[] = [];
  const used = new Set<number>();
  let repeated = false;
  const check = (text: string, path: PlaceholderProblem["path"]): void => {
    const parsed = parseTemplate(text);
    problems.push(...parsed.problems.map((problem) => ({ path, ...problem })));
    repeated ||= repeats(parsed);
    for (const segment of parsed.segments) {
      if (!("ref" in segment) || segment.ref.kind !== "connect" || segment.ref.index === undefined) continue;
      used.add(segment.ref.index);
      if (segment.ref.index < peer.connect.length || segment.ref.optional) continue;
      problems.push({ path, offset: segment.offset, ...outOfRange(segment.source, segment.ref.index, peer) });
    }
  };
  template.command?.forEach((element, i) => {
    if (typeof element === "string") check(element, ["command", i]);
    else element.forEach((text, j) => check(text, ["command", i, j]));
  });
  for (const [key, value] of Object.entries(template.env ?? {})) check(value, ["env", key]);
  // Past a syntax problem the template's intent is unknown: its own problem is the one to fix.
  if (template.command !== undefined && !repeated && problems.length === 0) {
    peer.connect.forEach((target, i) => {
      if (used.has(i)) return;
      problems.push({
        path: ["connect", i],
        offset: 0,
        message: `${peer.name} dials ${target}, but its command and env never pass ${target} to the program (no {connect} nor {connect[${i}]…})`,
        hint: `add "{connect}" to the command (each dialled peer as host:port), or "{connect[${i}].host}" and "{connect[${i}].port}"`,
      });
    });
  }
  return problems;
}

/**
 * Whether the command or env passes the program the lab's port (`{port}`). A program told no port
 * chooses its own, and its ready line must then capture it (stdio-adapter.ts's `requirePort`).
 */
export function usesOwnPort(template: PeerTemplate): boolean {
  const texts = [...(template.command ?? []).flat(), ...Object.values(template.env ?? {})];
  return texts.some((text) => mentions(parseTemplate(text), (ref) => ref.kind === "port"));
}

function outOfRange(
  source: string,
  index: number,
  peer: { name: string; connect: readonly string[] },
): Pick<PlaceholderProblem, "message" | "hint"> {
  const count = peer.connect.length;
  const dials =
    count === 0
      ? "dials no peer"
      : `dials ${count} ${count === 1 ? "peer" : "peers"} (${peer.connect.map((target, i) => `connect[${i}] ${target}`).join(", ")})`;
  const optional = `${source.slice(0, -1)}?}`;
  return {
    message: `${source}: there is no connect[${index}]: ${peer.name} ${dials}`,
    hint: `write ${optional} to leave this argument out for peers without connect[${index}], or give ${peer.name} its own command`,
  };
}
