import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "./diagnostic.js";
import { loadTopology, type LoadOptions, type LoadResult } from "./load.js";
import type { Topology } from "./schema.js";

/** The C example's interface, as topologies/c-chain.yaml writes it. */
const C_DEFAULTS = [
  "defaults:",
  "  build: { context: ../examples/c-p2pchat }",
  '  command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]]',
  "  interface:",
  "    events: stdio",
  "    ready: '^listening on port (?<port>\\d+)$'",
  "    received: '^(?<from>[^:]+): (?<text>.*)$'",
];
const CHAIN = ["peers:", "  alice: {}", "  bob: { connect: [alice] }", "  carol: { connect: [bob] }"];

/** Loaded as if from topologies/, so a context of ../examples/… is the repository's. */
function load(lines: string[], options: LoadOptions = {}): LoadResult {
  return loadTopology(["name: t", ...lines, ""].join("\n"), "topologies/t.yaml", options);
}

function errors(result: LoadResult): string[] {
  expect(result.ok, "expected errors").toBe(false);
  return result.ok ? [] : result.errors.map(formatDiagnostic);
}

function loaded(result: LoadResult): Topology {
  if (!result.ok) expect.fail(`unexpected errors:\n${result.errors.map(formatDiagnostic).join("\n")}`);
  return result.topology;
}

describe("a peer's program: image or build, command, interface", () => {
  it("resolves the C example's defaults for every peer: the context absolute, the Dockerfile and send defaulted", () => {
    const topology = loaded(load([...C_DEFAULTS, ...CHAIN]));
    expect(topology.peers[1]).toMatchObject({
      name: "bob",
      build: { context: resolve("examples/c-p2pchat"), dockerfile: "Dockerfile", args: {} },
      command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]],
      interface: {
        events: "stdio",
        send: "{text}",
        ready: String.raw`^listening on port (?<port>\d+)$`,
        received: "^(?<from>[^:]+): (?<text>.*)$",
      },
    });
    expect(topology.peers[1]).not.toHaveProperty("image");
    expect(Object.keys(topology.peers[0]!.interface)).toEqual(["events", "send", "ready", "received"]);
  });

  it("a peer's image replaces the defaults' build, and its interface the defaults' interface as a whole", () => {
    const topology = loaded(
      load([
        ...C_DEFAULTS,
        "peers:",
        "  alice: { image: student/chat:1, interface: { events: stdio, send: '/say {text}' }, command: ['{port}'] }",
        "  bob: { connect: [alice] }",
      ]),
    );
    expect(topology.peers[0]).toMatchObject({
      image: "student/chat:1",
      command: ["{port}"],
      interface: { events: "stdio", send: "/say {text}" },
    });
    expect(topology.peers[0]).not.toHaveProperty("build");
    expect(topology.peers[0]!.interface).not.toHaveProperty("ready");
  });

  it("without any: the reference image, its flags and its JSON events", () => {
    const peer = loaded(load(["peers:", "  a: {}"])).peers[0]!;
    expect(peer.interface).toEqual({ events: "json" });
    expect(peer).not.toHaveProperty("command");
    expect(peer).not.toHaveProperty("build");
  });

  it("lab run --build: every peer runs that program, talked to as the defaults say", () => {
    const program = { build: { context: "/tmp/student", dockerfile: "Dockerfile", args: {} } };
    const topology = loaded(
      load([...C_DEFAULTS, ...CHAIN.slice(0, 2), "  bob: { connect: [alice], image: x/y:1, command: [oops] }"], {
        program,
      }),
    );
    for (const peer of topology.peers) {
      expect(peer.build).toEqual(program.build);
      expect(peer).not.toHaveProperty("image");
      expect(peer.command).toEqual(["{name}", ["{connect[0].host?}", "{connect[0].port?}"]]);
      expect(peer.interface.events).toBe("stdio");
    }
  });
});

describe("program settings that cannot work, each at its place", () => {
  it("image and build in one block; a context that is not there; a Dockerfile outside it or missing", () => {
    expect(
      errors(
        load([
          "defaults: { image: a/b:1, build: { context: ../examples/c-p2pchat } }",
          "peers:",
          "  a: { build: { context: ../no-such-dir } }",
          "  b: { connect: [a], build: { context: ../examples/c-p2pchat, dockerfile: ../../Dockerfile } }",
          "  c: { connect: [a], build: { context: ../examples/c-p2pchat, dockerfile: Containerfile } }",
        ]),
      ),
    ).toEqual([
      "topologies/t.yaml:2:27 defaults.build: use either image or build, not both — remove one of them",
      `topologies/t.yaml:4:26 peers.a.build.context: ${resolve("no-such-dir")} does not exist — the build context is a directory, relative to the topology file`,
      `topologies/t.yaml:5:75 peers.b.build.dockerfile: ../../Dockerfile is outside the context ${resolve("examples/c-p2pchat")} — the Dockerfile is sent with the context: give a path inside it`,
      `topologies/t.yaml:6:75 peers.c.build.dockerfile: the context ${resolve("examples/c-p2pchat")} has no Containerfile — write one, or name it with dockerfile:`,
    ]);
  });

  it("stdio settings without events: stdio", () => {
    expect(
      errors(
        load([
          "defaults:",
          "  interface: { ready: listening }",
          "peers:",
          "  a: { interface: { events: json, send: '{text}' } }",
        ]),
      ),
    ).toEqual([
      "topologies/t.yaml:3:16 defaults.interface.ready: ready applies to events: stdio only — add events: stdio",
      "topologies/t.yaml:5:35 peers.a.interface.send: send applies to events: stdio only — remove it, or set events: stdio",
    ]);
  });

  it("a regex that does not compile, a missing port capture, a send without {text}: at the setting, once for defaults", () => {
    expect(
      errors(
        load([
          "defaults:",
          "  command: ['{name}']",
          "  interface: { events: stdio, ready: 'listening on (port', send: '/say' }",
          "peers:",
          "  a: {}",
          "  b: { connect: [a], command: ['{name}', '{connect}'], interface: { events: stdio, received: '^(?<who>\\w+): (?<text>.*)' } }",
        ]),
      ),
    ).toEqual([
      "topologies/t.yaml:4:39 defaults.interface.ready: does not compile: Invalid regular expression: /listening on (port/: Unterminated group — a JavaScript regular expression, e.g. listening on port (?<port>\\d+); a literal ( ) [ ] { } . * + ? \\ is written with a \\ before it",
      'topologies/t.yaml:4:39 defaults.interface.ready: captures no port: the program chooses its port at run time and the lab must read it — capture it with a group named port, e.g. ready: "listening on port (?<port>\\d+)", or pass the lab\'s port with {port} in the command',
      'topologies/t.yaml:4:67 defaults.interface.send: has no {text}: where does the message go? — e.g. "{text}" or "/say {text}"',
      'topologies/t.yaml:7:67 peers.b.interface.ready: is needed: the program chooses its port at run time and the lab must read it — capture it with a group named port, e.g. ready: "listening on port (?<port>\\d+)", or pass the lab\'s port with {port} in the command',
      "topologies/t.yaml:7:95 peers.b.interface.received: unknown group (?<who>…): received captures text and from",
    ]);
  });

  it("an unknown placeholder, at its character in the command; an index past the peer's connect list", () => {
    expect(
      errors(
        load([
          "defaults:",
          "  command: ['--user={nmae}', '{port}', '{connect[0].host}']",
          "peers:",
          "  a: {}",
          "  b: { connect: [a] }",
        ]),
      ),
    ).toEqual([
      "topologies/t.yaml:3:21 defaults.command[0]: unknown placeholder {nmae} — did you mean {name}? (known: {name}, {port}, {connect}, {connect.host}, {connect.port}, {connect[i]}, {connect[i].host}, {connect[i].port}; {{ and }} for literal braces)",
      "topologies/t.yaml:3:41 defaults.command[2]: {connect[0].host}: there is no connect[0]: a dials no peer — write {connect[0].host?} to leave this argument out for peers without connect[0], or give a its own command",
    ]);
  });

  it("a placeholder in env, at the env it is written in: defaults' or the peer's own", () => {
    expect(
      errors(
        load([
          "defaults: { env: { ME: '{nam}' } }",
          "peers:",
          "  a: {}",
          "  b: { connect: [a], env: { TO: '{connect[1]}' } }",
        ]),
      ),
    ).toEqual([
      "topologies/t.yaml:2:25 defaults.env.ME: unknown placeholder {nam} — did you mean {name}? (known: {name}, {port}, {connect}, {connect.host}, {connect.port}, {connect[i]}, {connect[i].host}, {connect[i].port}; {{ and }} for literal braces)",
      "topologies/t.yaml:5:34 peers.b.env.TO: {connect[1]}: there is no connect[1]: b dials 1 peer (connect[0] a) — write {connect[1]?} to leave this argument out for peers without connect[1], or give b its own command",
    ]);
  });

  it("a command argument that is not a string", () => {
    expect(errors(load(["peers:", "  a: { command: [chat, 7000, [x, 1]] }"]))).toEqual([
      'topologies/t.yaml:3:24 peers.a.command[1]: expected an argument (a string) or a group of them (a list of strings), got 7000 — quote it: "7000"',
      "topologies/t.yaml:3:30 peers.a.command[2]: expected an argument (a string) or a group of them (a list of strings), got a list",
    ]);
  });

  it("a cycle of ports known only at run time: nobody can start first", () => {
    expect(
      errors(
        load([
          ...C_DEFAULTS.slice(0, 1),
          '  command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]]',
          ...C_DEFAULTS.slice(3),
          "peers:",
          "  a: { connect: [c] }",
          "  b: { connect: [a] }",
          "  c: { connect: [b] }",
        ]),
      ),
    ).toEqual([
      "topologies/t.yaml:9:18 peers.a.connect[0]: a → c → b → a: each needs the next one's port, known only once it runs — give one of them a fixed {port}",
    ]);
  });

  it("a ring of fixed-port programs that do not retry: a warning at the dial that cannot be waited for", () => {
    const result = load([
      "defaults:",
      "  command: ['{name}', '{port}', '{connect}']",
      "  interface: { events: stdio }",
      "peers:",
      "  a: { connect: [c] }",
      "  b: { connect: [a] }",
      "  c: { connect: [b] }",
    ]);
    loaded(result);
    expect(result.warnings.map(formatDiagnostic)).toEqual([
      "topologies/t.yaml:8:18 peers.c.connect[0]: c dials b, which may not be listening yet: they are on a cycle of programs that do not retry a failed dial, so one of them must start first — make c's program retry its dial until b listens, or break the cycle",
    ]);
  });
});
