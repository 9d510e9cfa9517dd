import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../peer/src/duration.js";
import { formatDiagnostic } from "./diagnostic.js";
import { type LoadResult, MAX_TOPOLOGY_BYTES, dnsSafe, loadTopology, loadTopologyFile } from "./load.js";
import { ACTIONS, MAX_PEERS, STEP_SCHEMAS, type Topology } from "./schema.js";

const fixtures = new URL("./fixtures/", import.meta.url);
const shipped = new URL("../../../topologies/", import.meta.url);

function fixture(name: string): LoadResult {
  return loadTopology(readFileSync(new URL(name, fixtures), "utf8"), `fixtures/${name}`);
}

function errors(result: LoadResult): string[] {
  expect(result.ok, "expected errors").toBe(false);
  return result.ok ? [] : result.errors.map(formatDiagnostic);
}

function warnings(result: LoadResult): string[] {
  return result.warnings.map(formatDiagnostic);
}

function topology(result: LoadResult): Topology {
  if (!result.ok) expect.fail(`unexpected errors:\n${result.errors.map(formatDiagnostic).join("\n")}`);
  return result.topology;
}

describe("shipped topologies", () => {
  const files = readdirSync(shipped).filter((file) => file.endsWith(".yaml"));

  it("include the teaching topologies, the network-fault experiments and the C example's chain", () => {
    expect(files.sort()).toEqual([
      "big.yaml",
      "c-chain.yaml",
      "chain.yaml",
      "chain64.yaml",
      "lossy.yaml",
      "mesh.yaml",
      "partition.yaml",
      "paused-vs-killed.yaml",
      "ring.yaml",
      "star.yaml",
      "tree.yaml",
    ]);
  });

  it.each(files)("%s loads with no errors or warnings, and points editors at the schema", async (file) => {
    const path = fileURLToPath(new URL(file, shipped));
    const result = await loadTopologyFile(path);
    const loaded = topology(result);
    expect(warnings(result)).toEqual([]);
    expect(`${loaded.name}.yaml`).toBe(file);
    expect(loaded.description).not.toContain("\n");
    expect(readFileSync(path, "utf8").split("\n")[0]).toBe(
      "# yaml-language-server: $schema=../schemas/topology.schema.json",
    );
  });

  it("chain: alice–bob–carol–dave, and a scenario that partitions it", async () => {
    const chain = topology(await loadTopologyFile(fileURLToPath(new URL("chain.yaml", shipped))));
    expect(chain.peers.map((peer) => [peer.name, peer.connect])).toEqual([
      ["alice", []],
      ["bob", ["alice"]],
      ["carol", ["bob"]],
      ["dave", ["carol"]],
    ]);
    expect(chain.links).toEqual([
      ["bob", "alice"],
      ["carol", "bob"],
      ["dave", "carol"],
    ]);
    expect(chain.scenario).toContainEqual({ kill: "bob" });
    expect(chain.scenario).toContainEqual({ expect: { partitions: [["alice"], ["carol", "dave"]], within: "10s" } });
    expect(chain.scenario).toContainEqual({ expect: { delivered: "anyone?", to: [], within: "2s" } });
  });

  it("chain64: chain's story on 64 peers, the bridge p32 on another engine than its neighbours when spread over three", async () => {
    const path = fileURLToPath(new URL("chain64.yaml", shipped));
    const chain = topology(await loadTopologyFile(path));
    expect(chain.peers.map((peer) => peer.name)).toEqual(Array.from({ length: 64 }, (_, i) => `p${i + 1}`));
    expect(chain.links).toHaveLength(63);
    // 63 hops from p1 to p64: the default hop limit (16) would stop the first message at p17.
    expect(chain.peers.every((peer) => peer.hopLimit >= 63)).toBe(true);
    expect(chain.scenario).toContainEqual({ kill: "p32" });
    const spread = topology(await loadTopologyFile(path, { engines: ["a", "b", "c"] }));
    const engineOf = (name: string) => spread.peers.find((peer) => peer.name === name)!.placement;
    expect(new Set(["p31", "p32", "p33"].map(engineOf))).toEqual(new Set(["a", "b", "c"]));
  });

  it("big: 32 generated peers in dedup mode", async () => {
    const big = topology(await loadTopologyFile(fileURLToPath(new URL("big.yaml", shipped))));
    expect(big.peers).toHaveLength(32);
    expect(big.peers[31]!.name).toBe("p32");
    expect(big.links).toHaveLength(48);
    expect(big.peers.every((peer) => peer.mode === "dedup")).toBe(true);
  });
});

describe("the fault-tolerance questions (topologies/questions, docs/fault-tolerance.md)", () => {
  const questions = new URL("questions/", shipped);
  const files = readdirSync(questions).filter((file) => file.endsWith(".yaml"));

  it("ship a topology per question (question 4 in two), and the 25-peer cost figures", () => {
    expect(files.sort()).toEqual([
      "mesh25-dedup.yaml",
      "mesh25-heal.yaml",
      "q1-tolerates.yaml",
      "q2-breaks.yaml",
      "q3-two-connections.yaml",
      "q4-crash-handler.yaml",
      "q4-heal.yaml",
      "tree25-tree.yaml",
    ]);
  });

  /**
   * Question 3 runs one network per mode in one lab, so that each broadcast's floor is its own
   * network's: the dedup and heal networks are not connected to the tree network, on purpose.
   */
  const separateOnPurpose: Record<string, string[]> = {
    "q3-two-connections.yaml": [
      'peers "d1", "d2", "d3", "d4", "d5", … (8 in all) are connected to each other but not to the rest',
      'peers "h1", "h2", "h3", "h4", "h5", … (8 in all) are connected to each other but not to the rest',
    ],
  };

  it.each(files)(
    "%s loads with no errors or warnings, carries a scenario and points editors at the schema",
    async (file) => {
      const path = fileURLToPath(new URL(file, questions));
      const result = await loadTopologyFile(path);
      const loaded = topology(result);
      const apart = separateOnPurpose[file] ?? [];
      const found = warnings(result);
      expect(found.filter((warning) => !apart.some((text) => warning.includes(text)))).toEqual([]);
      expect(found).toHaveLength(apart.length);
      expect(`${loaded.name}.yaml`).toBe(file);
      expect(loaded.scenario?.length).toBeGreaterThan(0);
      expect(readFileSync(path, "utf8").split("\n")[0]).toBe(
        "# yaml-language-server: $schema=../../schemas/topology.schema.json",
      );
    },
  );
});

describe("loadTopology: valid files", () => {
  it("applies defaults, peer overrides and built-in defaults", () => {
    const full = topology(fixture("valid-full.yaml"));
    const [alice, bob, carol] = full.peers;
    expect(alice).toEqual({
      name: "alice",
      connect: [],
      mode: "dedup",
      image: "my/peer:1",
      heartbeat: "500ms",
      timeout: "2s",
      hopLimit: 8,
      env: { LOG: "debug" },
      limits: { memory: "128m", pids: 256 },
      interface: { events: "json" },
    });
    expect(bob).toMatchObject({ mode: "tree", env: { LOG: "debug", EXTRA: "1" } });
    expect(carol).toMatchObject({
      connect: ["alice", "bob"],
      heartbeat: "1s",
      timeout: "4s",
      hopLimit: 3,
      image: "other/peer:2",
      limits: { memory: "128m", pids: 64 },
    });
    expect(full.check).toEqual({ missing: "fail", duplicated: "warn", unexpected: "ignore", late: "warn" });
    expect(full.scenario).toHaveLength(9);
    expect(full.scenario[3]).toEqual({ at: "5s", pause: "bob" });
    expect(full.file).toBe("fixtures/valid-full.yaml");
  });

  it("takes heal mode, the reference peer's self-healing mode", () => {
    const healing = topology(
      loadTopology("name: h\ndefaults: { mode: heal }\npeers:\n  a: {}\n  b: { connect: [a] }\n", "h.yaml"),
    );
    expect(healing.peers.map((peer) => peer.mode)).toEqual(["heal", "heal"]);
  });

  it("uses the built-in defaults when there are none in the file", () => {
    const minimal = topology(loadTopology("name: one\ndescription: d\npeers:\n  solo:\n", "one.yaml"));
    expect(minimal.peers).toEqual([
      {
        name: "solo",
        connect: [],
        mode: "tree",
        heartbeat: "1s",
        timeout: "3s",
        hopLimit: 16,
        env: {},
        limits: { memory: "256m", pids: 256 },
        interface: { events: "json" },
      },
    ]);
    expect(minimal).toMatchObject({ links: [], check: {}, scenario: [] });
  });

  it("needs no description; the loaded topology then has none, and keeps one it is given", () => {
    const plain = loadTopology("name: first\npeers:\n  a: {}\n  b: { connect: [a] }\n", "first.yaml");
    expect(plain).toMatchObject({ ok: true, warnings: [] });
    expect(topology(plain)).not.toHaveProperty("description");
    expect(
      topology(loadTopology("name: first\ndescription: two peers\npeers:\n  a: {}\n", "first.yaml")).description,
    ).toBe("two peers");
  });

  it("keeps the file's peer order, even for names that look like numbers", () => {
    const result = loadTopology(
      "name: n\ndescription: d\npeers:\n  zed: {}\n  '10': { connect: [zed] }\n  '2': { connect: ['10'] }\n",
      "n.yaml",
    );
    expect(topology(result).peers.map((peer) => peer.name)).toEqual(["zed", "10", "2"]);
  });

  it("generates peers, applies defaults to them and checks scenario names against them", () => {
    const generated = fixture("generate-ok.yaml");
    expect(errors(generated)).toEqual([
      'fixtures/generate-ok.yaml:8:42 scenario[2].expect.to[1]: unknown peer "node7" (known: node1, node2, node3, node4, node5, node6) — did you mean "node1"?',
    ]);
    expect(warnings(generated)).toEqual([
      "fixtures/generate-ok.yaml:4:49 generate.fanout: fanout only applies to shape tree; ignored for ring",
    ]);

    const ring = topology(
      loadTopology(
        "name: r\ndescription: d\ndefaults: { mode: dedup }\ngenerate: { shape: ring, size: 4 }\n",
        "r.yaml",
      ),
    );
    expect(ring.peers.map((peer) => [peer.name, peer.connect, peer.mode])).toEqual([
      ["p1", [], "dedup"],
      ["p2", ["p1"], "dedup"],
      ["p3", ["p2"], "dedup"],
      ["p4", ["p1", "p3"], "dedup"],
    ]);
    expect(ring.links).toHaveLength(4);
  });

  it("lists known peers briefly when there are many", () => {
    const result = loadTopology(
      "name: g\ndescription: d\ngenerate: { shape: chain, size: 20 }\nscenario:\n  - kill: p21\n",
      "g.yaml",
    );
    expect(errors(result)).toEqual([
      'g.yaml:5:11 scenario[0].kill: unknown peer "p21" (known: p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, … (20 in all)) — did you mean "p1"?',
    ]);
  });
});

describe("loadTopology: warnings", () => {
  it("warns about isolated peers and links declared twice, and keeps each link once", () => {
    const result = fixture("warnings.yaml");
    expect(warnings(result)).toEqual([
      'fixtures/warnings.yaml:7:3 peers.dave: peers "dave", "erin" are connected to each other but not to the rest — connect one of them to a peer, unless the partition is the experiment',
      "fixtures/warnings.yaml:9:25 peers.x.connect[1]: the link x–alice is already declared at peers.x.connect[0] — remove one of them: a link is one connection, dialled from one end",
      'fixtures/warnings.yaml:10:3 peers.y: peer "y" is not connected to the rest — connect it to a peer, unless the partition is the experiment',
    ]);
    const islands = topology(result);
    expect(islands.links).toEqual([
      ["bob", "alice"],
      ["carol", "bob"],
      ["erin", "dave"],
      ["x", "alice"],
    ]);
    expect(islands.peers.find((peer) => peer.name === "x")!.connect).toEqual(["alice"]);
  });

  it("keeps a link declared from both ends once, dialled by the first to declare it", () => {
    const result = loadTopology(
      "name: d\ndescription: d\npeers:\n  a: { connect: [b] }\n  b: { connect: [a] }\n",
      "d.yaml",
    );
    expect(warnings(result)).toEqual([
      "d.yaml:5:18 peers.b.connect[0]: the link b–a is already declared at peers.a.connect[0] — remove one of them: a link is one connection, dialled from one end",
    ]);
    const loaded = topology(result);
    expect(loaded.links).toEqual([["a", "b"]]);
    expect(loaded.peers.map((peer) => peer.connect)).toEqual([["b"], []]);
  });

  it("warns about an empty peers map and a delivered that matches no send", () => {
    expect(warnings(loadTopology("name: e\ndescription: d\npeers: {}\n", "e.yaml"))).toEqual([
      "e.yaml:3:8 peers: no peers: the lab will be empty",
    ]);
    const typo =
      "name: t\ndescription: d\npeers:\n  a: {}\n  b: { connect: [a] }\nscenario:\n  - send: { from: a, text: hello }\n  - expect: { delivered: helo, to: [b] }\n";
    expect(warnings(loadTopology(typo, "t.yaml"))).toEqual([
      't.yaml:8:26 scenario[1].expect.delivered: no earlier send has the text or name "helo" — did you mean "hello"?',
    ]);
  });
});

describe("loadTopology: errors", () => {
  it("reports an unknown peer with the known ones and a suggestion", () => {
    expect(errors(fixture("unknown-peer.yaml"))).toEqual([
      'fixtures/unknown-peer.yaml:9:9 peers.dave.connect[0]: unknown peer "carl" (known: alice, bob, carol, dave) — did you mean "carol"?',
    ]);
    // dave's only link is the typo; "not connected" would be noise next to the real error.
    expect(warnings(fixture("unknown-peer.yaml"))).toEqual([]);
  });

  it("collects every problem in a file, each at its line and column", () => {
    expect(errors(fixture("many-errors.yaml"))).toEqual([
      `fixtures/many-errors.yaml:1:7 name: expected a DNS-safe name (lowercase letters, digits and '-', at most 32), got "Bad_Name" — try "bad-name"`,
      'fixtures/many-errors.yaml:4:9 defaults.mode: expected one of tree, dedup, heal, got "dedupe" — did you mean "dedup"?',
      'fixtures/many-errors.yaml:5:14 defaults.heartbeat: expected a duration such as 500ms, 2s or 1m, got "1 s"',
      "fixtures/many-errors.yaml:6:13 defaults.hopLimit: must be at least 1, got 0",
      'fixtures/many-errors.yaml:8:12 peers.alice.conect: unknown key "conect" — did you mean "connect"? (known keys: connect, placement, mode, image, build, command, interface, heartbeat, timeout, hopLimit, minNeighbours, crashHandler, env, limits)',
      "fixtures/many-errors.yaml:9:19 peers.bob.connect: expected a list of peer names, got a string",
      `fixtures/many-errors.yaml:10:3 peers.Bob_1: peer name "Bob_1" is not DNS-safe (lowercase letters, digits and '-', at most 32) — try "bob-1"`,
      "fixtures/many-errors.yaml:11:22 peers.carol.connect[0]: carol connects to itself — remove it",
      "fixtures/many-errors.yaml:11:45 peers.carol.hopLimit: expected an integer, got 2.5",
      'fixtures/many-errors.yaml:12:40 peers.dave.env.PORT: expected a string, got 7000 — quote it: "7000"',
      'fixtures/many-errors.yaml:13:1 colour: unknown key "colour" — known keys: name, description, defaults, peers, generate, check, scenario, engines, placement',
    ]);
  });

  it("explains bad container limits, in defaults and per peer", () => {
    const text = [
      "name: l",
      "description: d",
      "defaults:",
      "  limits: { memory: lots, pids: 0 }",
      "peers:",
      "  a: { limits: { memory: 1m } }",
      "  b: { connect: [a], limits: { memory: 256, pids: 2.5 } }",
      "  c: { connect: [a], limits: { memory: 1G, swap: 1g } }",
      "",
    ].join("\n");
    expect(errors(loadTopology(text, "l.yaml"))).toEqual([
      'l.yaml:4:21 defaults.limits.memory: expected a size such as 256m or 1g, got "lots"',
      "l.yaml:4:33 defaults.limits.pids: must be at least 1, got 0",
      "l.yaml:6:26 peers.a.limits.memory: must be at least 6m (the engine's minimum)",
      "l.yaml:7:40 peers.b.limits.memory: expected a size such as 256m or 1g, got 256",
      "l.yaml:7:51 peers.b.limits.pids: expected an integer, got 2.5",
      'l.yaml:8:40 peers.c.limits.memory: expected a size such as 256m or 1g, got "1G"',
      'l.yaml:8:44 peers.c.limits.swap: unknown key "swap" — known keys: memory, pids',
    ]);
  });

  it("explains scenario mistakes", () => {
    expect(errors(fixture("bad-scenario.yaml"))).toEqual([
      'fixtures/bad-scenario.yaml:7:19 scenario[0].send.from: unknown peer "alise" (known: alice, bob) — did you mean "alice"?',
      "fixtures/bad-scenario.yaml:9:5 scenario[1].pause: a step has one action; this one has kill, pause — split it into 2 steps",
      'fixtures/bad-scenario.yaml:10:5 scenario[2].sned: unknown action "sned" — did you mean "send"?',
      'fixtures/bad-scenario.yaml:11:5 scenario[3]: expected a step such as "kill: bob" or "send: {from: alice, text: hi}", got a string',
      "fixtures/bad-scenario.yaml:12:13 scenario[4].expect: expect needs at least one of delivered, partitions, links, state, cost",
      'fixtures/bad-scenario.yaml:12:19 scenario[4].expect.to: "to" needs "delivered": which message?',
      'fixtures/bad-scenario.yaml:13:40 scenario[5].expect.to[1]: unknown peer "eve" (known: alice, bob)',
      'fixtures/bad-scenario.yaml:13:54 scenario[5].expect.within: expected a duration such as 500ms, 2s or 1m, got "soon"',
      'fixtures/bad-scenario.yaml:14:38 scenario[6].expect.partitions[1][0]: unknown peer "bbo" (known: alice, bob) — did you mean "bob"?',
      'fixtures/bad-scenario.yaml:14:54 scenario[6].expect.state.alicia: unknown peer "alicia" (known: alice, bob) — did you mean "alice"?',
      "fixtures/bad-scenario.yaml:15:14 scenario[7].restart: expected a peer name, got a map",
    ]);
  });

  it("reports unknown keys inside a scenario step's action", () => {
    const text = "name: s\ndescription: d\npeers:\n  a: {}\nscenario:\n  - send: { from: a, txt: hi }\n";
    expect(errors(loadTopology(text, "s.yaml"))).toEqual([
      's.yaml:6:11 scenario[0].send: missing required field "text"',
      's.yaml:6:22 scenario[0].send.txt: unknown key "txt" — did you mean "text"? (known keys: from, text, as)',
    ]);
  });

  it("rewrites YAML's duplicate key error into a duplicate peer name", () => {
    expect(errors(fixture("duplicate-peer.yaml"))).toEqual([
      'fixtures/duplicate-peer.yaml:6:3 peers.bob: duplicate peer name "bob" — rename one of the peers',
      'fixtures/duplicate-peer.yaml:9:3 defaults.mode: duplicate key "mode" — remove one of them',
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    expect(errors(fixture("syntax-error.yaml"))).toEqual([
      "fixtures/syntax-error.yaml:5:26 Flow sequence in block collection must be sufficiently indented and end with a ]",
      "fixtures/syntax-error.yaml:5:27 Flow map in block collection must be sufficiently indented and end with a }",
    ]);
    expect(errors(loadTopology("name: a\ndescription: a: b\npeers: {}\n", "q.yaml"))).toEqual([
      'q.yaml:2:14 Nested mappings are not allowed in compact mappings — a value containing ": " must be quoted, e.g. description: "a: b"',
    ]);
  });

  it("stops an alias bomb at the alias that expands the file too far, before anything expands it", () => {
    expect(errors(fixture("alias-bomb.yaml"))).toEqual([
      'fixtures/alias-bomb.yaml:11:14 the alias *e expands the document past 100000 values (aliases of aliases multiply: a "billion laughs") — write the values out; a topology needs nowhere near this many',
    ]);
  });

  it("reports an alias with no anchor before it, and one inside the value it names", () => {
    expect(errors(loadTopology("name: a\ndescription: *later\npeers: &later {}\n", "q.yaml"))).toEqual([
      "q.yaml:2:14 the alias *later names no anchor before it — set the anchor first with &later, or write the value out",
    ]);
    expect(errors(loadTopology("name: a\ndescription: b\npeers: &p { alice: { connect: *p } }\n", "q.yaml"))).toEqual([
      "q.yaml:3:31 the alias *p is inside the value it names, so that value never ends — write the value out",
    ]);
  });

  it("accepts an anchor used by hundreds of peers", () => {
    const peers = Array.from({ length: 200 }, (_, i) => `  p${i}: { connect: [hub], heartbeat: *beat }`);
    const loaded = topology(
      loadTopology(
        [
          "name: many",
          "description: one anchor, 200 aliases",
          "peers:",
          "  hub: { heartbeat: &beat 2s }",
          ...peers,
        ].join("\n"),
        "many.yaml",
      ),
    );
    expect(loaded.peers.filter((peer) => peer.heartbeat === "2s")).toHaveLength(201);
  });

  it("names missing required fields at their parent", () => {
    expect(errors(fixture("missing-fields.yaml"))).toEqual([
      'fixtures/missing-fields.yaml:1:1 missing required field "name"',
    ]);
    expect(errors(loadTopology("name: x\ndescription: d\n", "x.yaml"))).toEqual([
      'x.yaml:1:1 missing required field "peers" (or "generate") — list the peers, or generate them: generate: {shape: ring, size: 8}',
    ]);
    expect(errors(loadTopology("", "empty.yaml"))).toEqual(["empty.yaml:1:1 expected a map, got nothing"]);
  });

  it("accepts peers or generate, not both", () => {
    expect(errors(fixture("both-peers-and-generate.yaml"))).toEqual([
      "fixtures/both-peers-and-generate.yaml:5:1 generate: use either peers or generate, not both — remove one of them",
    ]);
  });

  it("checks generate's fields", () => {
    expect(errors(fixture("generate-bad.yaml"))).toEqual([
      'fixtures/generate-bad.yaml:3:20 generate.shape: expected one of chain, ring, star, tree, mesh, random, two-earlier, got "rnadom" — did you mean "random"?',
      "fixtures/generate-bad.yaml:3:34 generate.size: must be at most 256, got 1000",
    ]);
  });

  it("requires the timeout to exceed the heartbeat, wherever each is set", () => {
    expect(errors(fixture("timeout.yaml"))).toEqual([
      "fixtures/timeout.yaml:5:12 defaults.timeout: timeout (1s) must be longer than heartbeat (2s) — a neighbour is declared down after this much silence: make it a few heartbeats",
      "fixtures/timeout.yaml:8:39 peers.bob.heartbeat: timeout (1s) must be longer than heartbeat (5s) — a neighbour is declared down after this much silence: make it a few heartbeats",
    ]);
  });

  it("gives heal peers minNeighbours (default 2) and the other modes none", () => {
    const loaded = topology(
      loadTopology(
        [
          "name: mixed",
          "defaults: { mode: heal, minNeighbours: 3 }",
          "peers:",
          "  a: {}",
          "  b: { connect: [a], minNeighbours: 1 }",
          "  c: { connect: [a, b], mode: dedup }",
          "  d: { connect: [c], mode: tree }",
        ].join("\n"),
        "mixed.yaml",
      ),
    );
    expect(loaded.peers.map((peer) => [peer.name, peer.mode, peer.minNeighbours])).toEqual([
      ["a", "heal", 3],
      ["b", "heal", 1],
      ["c", "dedup", undefined],
      ["d", "tree", undefined],
    ]);
    const plain = topology(loadTopology("name: h\ndefaults: { mode: heal }\npeers:\n  a:\n", "h.yaml"));
    expect(plain.peers[0]!.minNeighbours).toBe(2);
  });

  it("sets crashHandler in any mode, a peer's value over the defaults', and leaves it unset otherwise", () => {
    const loaded = topology(
      loadTopology(
        [
          "name: handlers",
          "defaults: { crashHandler: true }",
          "peers:",
          "  a: {}",
          "  b: { connect: [a], mode: heal }",
          "  c: { connect: [b], crashHandler: false }",
        ].join("\n"),
        "handlers.yaml",
      ),
    );
    expect(loaded.peers.map((peer) => [peer.name, peer.crashHandler])).toEqual([
      ["a", true],
      ["b", true],
      ["c", undefined],
    ]);
    expect(errors(loadTopology("name: yes\npeers:\n  a: { crashHandler: yes }\n", "yes.yaml"))).toEqual([
      "yes.yaml:3:22 peers.a.crashHandler: expected true or false, got a string",
    ]);
  });

  it("refuses minNeighbours for another mode than heal, where it is written", () => {
    const text = [
      "name: wrong",
      "defaults: { minNeighbours: 3 }",
      "peers:",
      "  a: { mode: heal }",
      "  b: { connect: [a], mode: dedup, minNeighbours: 1 }",
    ].join("\n");
    expect(errors(loadTopology(text, "wrong.yaml"))).toEqual([
      "wrong.yaml:2:13 defaults.minNeighbours: minNeighbours applies to mode heal only; the defaults' mode is tree — set mode: heal under defaults too, or set minNeighbours on the heal peers",
      "wrong.yaml:5:35 peers.b.minNeighbours: minNeighbours applies to mode heal only; b's mode is dedup — add mode: heal, or remove it",
    ]);
    expect(errors(loadTopology("name: zero\npeers:\n  a: { mode: heal, minNeighbours: 0 }\n", "zero.yaml"))).toEqual([
      "zero.yaml:3:35 peers.a.minNeighbours: must be at least 1, got 0",
    ]);
  });

  it("turns an unreadable file into a diagnostic", async () => {
    const result = await loadTopologyFile("topologies/no-such-file.yaml");
    expect(errors(result)).toEqual([
      "topologies/no-such-file.yaml: cannot read: ENOENT — check the path; the shipped topologies are in topologies/",
    ]);
    const directory = await loadTopologyFile(fileURLToPath(fixtures));
    expect(errors(directory)[0]).toMatch(/cannot read: EISDIR — give a topology file \(\.yaml\), not a directory$/);
  });
});

describe("dnsSafe", () => {
  it("suggests a DNS-safe spelling", () => {
    expect(dnsSafe("Bob_1")).toBe("bob-1");
    expect(dnsSafe("--Hello  World!!")).toBe("hello-world");
    expect(dnsSafe("a".repeat(40))).toBe("a".repeat(32));
    expect(dnsSafe("___")).toBe("peer");
  });
});

describe("loadTopology: what the lab itself would refuse later", () => {
  const text = [
    "name: edge",
    "description: edge cases",
    "defaults: { heartbeat: 0s }",
    "peers:",
    "  journal: {}",
    "  bob: { connect: [journal] }",
    "scenario:",
    "  - send: { from: bob, text: /quit }",
    "  - send: { from: bob, text: hi }",
    "  - expect: { delivered: hi }",
    '  - send: { from: bob, text: "hi\\r/connect evil:7000" }',
  ].join("\n");

  it("reports a reserved peer name, a zero heartbeat, a command as a message, a control character in one and a delivery with no receivers", () => {
    expect(errors(loadTopology(text, "edge.yaml"))).toEqual([
      "edge.yaml:3:24 defaults.heartbeat: must be longer than zero",
      'edge.yaml:5:3 peers.journal: peer name "journal" is reserved: the lab\'s own container has it — rename it, e.g. "journal-1"',
      'edge.yaml:8:30 scenario[0].send.text: "/quit" would be a command to the peer, not a message',
      'edge.yaml:10:26 scenario[2].expect.delivered: say who should show it: "to" (exactly these peers; [] for nobody) and/or "notTo"',
      "edge.yaml:11:30 scenario[3].send.text: a message cannot contain control characters (found U+000D at position 2)",
    ]);
  });
});

describe("durations", () => {
  const withHeartbeat = (heartbeat: string): LoadResult =>
    loadTopology(
      `name: t\ndescription: d\ndefaults: { heartbeat: ${JSON.stringify(heartbeat)}, timeout: 2h }\npeers:\n  a: {}\n`,
      "t.yaml",
    );

  it("are the peer's grammar: what the peer takes, a topology takes", () => {
    for (const text of ["250ms", "2s", "1.5s", "1m", "1h", "2", "1 s", " 2s", "1d", "1m30s"]) {
      expect(withHeartbeat(text).ok, text).toBe(parseDuration(text) !== undefined);
    }
  });

  it("of zero, or that round to zero, are refused where the peer would refuse them", () => {
    expect(errors(withHeartbeat("0.2ms"))).toEqual(["t.yaml:3:24 defaults.heartbeat: must be longer than zero"]);
  });
});

describe("a step that matches no action's schema", () => {
  const stepErrors = (step: string): string[] =>
    errors(
      loadTopology(
        `name: t\ndescription: d\npeers:\n  alice: {}\n  bob: { connect: [alice] }\nscenario:\n  - ${step}\n`,
        "t.yaml",
      ),
    );

  it("is explained by its own action's schema, looked up by the action's name", () => {
    expect(Object.keys(STEP_SCHEMAS)).toEqual(ACTIONS);
    expect(stepErrors("send: { from: alice }")).toEqual([
      't.yaml:7:11 scenario[0].send: missing required field "text"',
    ]);
    expect(stepErrors("wait: 5")).toEqual([
      "t.yaml:7:11 scenario[0].wait: expected a duration such as 500ms, 2s or 1m, got 5",
    ]);
    expect(stepErrors("restart: [bob]")).toEqual(["t.yaml:7:14 scenario[0].restart: expected a peer name, got a list"]);
    expect(stepErrors("expect: { within: 1s }")).toEqual([
      "t.yaml:7:13 scenario[0].expect: expect needs at least one of delivered, partitions, links, state, cost",
    ]);
  });

  it("explains a cost expectation's mistakes where they are written", () => {
    expect(stepErrors("expect: { cost: {} }")).toEqual([
      "t.yaml:7:21 scenario[0].expect.cost: cost needs at least one of atMost, atLeast, duplicates, hopLimitDrops",
    ]);
    expect(stepErrors("expect: { cost: { atMost: 0, duplicates: few, hopLimit: some } }")).toEqual([
      "t.yaml:7:31 scenario[0].expect.cost.atMost: must be more than 0, got 0",
      't.yaml:7:46 scenario[0].expect.cost.duplicates: expected one of none, some, got "few"',
      't.yaml:7:51 scenario[0].expect.cost.hopLimit: unknown key "hopLimit" — known keys: atMost, atLeast, duplicates, hopLimitDrops, since',
    ]);
    expect(stepErrors("expect: { cost: { atMost: 1.5, atLeast: 2 } }")).toEqual([
      "t.yaml:7:45 scenario[0].expect.cost.atLeast: larger than atMost (1.5): no broadcast can be both",
    ]);
  });

  it("takes a cost expectation, and warns of a since that names no earlier send", () => {
    const result = loadTopology(
      [
        "name: t",
        "peers: { alice: {}, bob: { connect: [alice] } }",
        "scenario:",
        "  - send: { from: alice, text: warm-up, as: warm }",
        "  - expect: { cost: { atMost: 1.5, duplicates: none, since: warm } }",
        "  - expect: { cost: { hopLimitDrops: some, since: wram } }",
        "",
      ].join("\n"),
      "t.yaml",
    );
    expect(topology(result).scenario[1]).toEqual({
      expect: { cost: { atMost: 1.5, duplicates: "none", since: "warm" } },
    });
    expect(warnings(result)).toEqual([
      't.yaml:6:51 scenario[2].expect.cost.since: no earlier send has the text or name "wram" — did you mean "warm"?',
    ]);
  });
});

describe("loadTopology: files that would make loading wrong or slow", () => {
  it("refuses a file larger than MAX_TOPOLOGY_BYTES before parsing it", () => {
    const text = `name: big\npeers:\n${"  p: {}\n".repeat(MAX_TOPOLOGY_BYTES / 8 + 1)}`;
    expect(errors(loadTopology(text, "big.yaml"))).toEqual([
      `big.yaml:1:1 ${Buffer.byteLength(text)} bytes: a topology file is at most ${MAX_TOPOLOGY_BYTES} — large labs are written with generate: { shape, size }`,
    ]);
  });

  it("refuses more peers than a lab holds, at the peers key", () => {
    const peers = Array.from({ length: MAX_PEERS + 1 }, (_, i) => `  p${i}: {}`).join("\n");
    expect(errors(loadTopology(`name: many\npeers:\n${peers}\n`, "many.yaml"))).toEqual([
      `many.yaml:2:1 ${MAX_PEERS + 1} peers: a lab holds at most ${MAX_PEERS} — split it into several labs`,
    ]);
  });

  it("refuses a __proto__ key, which a JavaScript object would take as its prototype", () => {
    const text = "name: x\npeers:\n  __proto__: {}\n  alice: { connect: [__proto__] }\n";
    expect(errors(loadTopology(text, "proto.yaml"))).toEqual([
      'proto.yaml:3:3 a key named "__proto__" is not allowed — rename it',
    ]);
  });

  it("refuses a duration no timer can wait (Node fires a longer one after 1 ms)", () => {
    const text = "name: x\npeers:\n  a: { heartbeat: 1000h, timeout: 2000h }\nscenario:\n  - wait: 597h\n";
    expect(errors(loadTopology(text, "long.yaml"))).toEqual([
      "long.yaml:3:19 peers.a.heartbeat: at most 596h31m: no timer waits longer",
      "long.yaml:3:35 peers.a.timeout: at most 596h31m: no timer waits longer",
      "long.yaml:5:11 scenario[0].wait: at most 596h31m: no timer waits longer",
    ]);
  });
});

describe("loadTopology: network steps", () => {
  const load = (steps: string) =>
    loadTopology(
      `name: n\npeers:\n  alice: {}\n  bob: { connect: [alice] }\n  carol: { connect: [bob] }\nscenario:\n${steps}`,
      "n.yaml",
    );

  it("places every unknown peer a network step names", () => {
    expect(
      errors(
        load(
          "  - partition: [[alice], [bobby]]\n  - cut: [alice, carl]\n  - loss: { peer: bob, percent: 5, to: dav }\n  - rate: { peer: eve, limit: 1mbit }\n",
        ),
      ),
    ).toEqual([
      'n.yaml:7:27 scenario[0].partition[1][0]: unknown peer "bobby" (known: alice, bob, carol) — did you mean "bob"?',
      'n.yaml:8:18 scenario[1].cut[1]: unknown peer "carl" (known: alice, bob, carol) — did you mean "carol"?',
      'n.yaml:9:40 scenario[2].loss.to: unknown peer "dav" (known: alice, bob, carol)',
      'n.yaml:10:19 scenario[3].rate.peer: unknown peer "eve" (known: alice, bob, carol)',
    ]);
  });

  it("refuses groups that cannot be a partition, a pair of one peer, and values lab cannot apply", () => {
    const messages = errors(
      load(
        [
          "  - partition: [[alice, bob, carol]]",
          "  - partition: [[alice], [alice, bob]]",
          "  - { partition: [[alice]], seed: 3 }",
          "  - link: [bob, bob]",
          "  - loss: { peer: bob, percent: 120 }",
          "  - rate: { peer: bob, limit: 256kbps }",
          "  - delay: { peer: bob, by: soon }",
          "  - loss: { peer: bob, percent: 5, to: bob }",
          "",
        ].join("\n"),
      ),
    ).join("\n");
    expect(messages).toContain("scenario[0].partition: every peer is in one group: a partition needs at least two");
    expect(messages).toContain("scenario[1].partition: alice is named twice: a peer is in one group");
    expect(messages).toContain('scenario[2].seed: "seed" is for partition: random');
    expect(messages).toContain("scenario[3].link: link needs two different peers");
    expect(messages).toContain("scenario[4].loss.percent");
    expect(messages).toContain("scenario[5].rate.limit: expected a rate such as 256kbit");
    expect(messages).toContain("scenario[6].delay.by: expected a duration such as");
    expect(messages).toContain("scenario[7].loss.to: to is the peer itself");
  });

  it("refuses, where they are written, a random partition into more groups than peers, jitter over the delay and shapes it cannot read", () => {
    const messages = errors(
      load(
        [
          "  - { partition: random, groups: 4 }",
          "  - delay: { peer: bob, by: 10ms, jitter: 20ms }",
          "  - heal: false",
          "  - partition: [alice, bob]",
          "",
        ].join("\n"),
      ),
    ).join("\n");
    expect(messages).toContain("scenario[0].groups: 3 peers cannot form 4 groups");
    expect(messages).toContain("scenario[1].delay.jitter: larger than the delay (10ms)");
    expect(messages).toContain("scenario[2].heal: write heal: (nothing after it) or heal: true");
    expect(messages).toContain(
      "scenario[3].partition: expected the groups, such as [[alice, bob], [carol]], or random",
    );
  });

  it("takes 0 to remove a delay or a rate limit", () => {
    const loaded = topology(load("  - delay: { peer: bob, by: 0 }\n  - rate: { peer: bob, limit: 0 }\n"));
    expect(loaded.scenario).toHaveLength(2);
  });

  it("takes every network step in its written forms", () => {
    const loaded = topology(
      load(
        "  - partition: random\n  - { partition: random, seed: 4, groups: 3 }\n  - heal:\n  - { cut: [alice, bob], oneWay: true }\n  - link: [alice, bob]\n  - delay: { peer: bob, by: 200ms, jitter: 20ms, to: carol }\n",
      ),
    );
    expect(loaded.scenario).toHaveLength(6);
  });
});
