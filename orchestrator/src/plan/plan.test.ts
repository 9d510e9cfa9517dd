import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../topology/diagnostic.js";
import { loadTopology } from "../topology/load.js";
import type { PeerSpec, Topology } from "../topology/schema.js";
import { containerName } from "./labels.js";
import { planLab } from "./plan.js";

const peer = (name: string, connect: string[], extra: Partial<PeerSpec> = {}): PeerSpec => ({
  name,
  connect,
  mode: "tree" as const,
  heartbeat: "1s",
  timeout: "3s",
  hopLimit: 16,
  env: {},
  limits: { memory: "256m", pids: 256 },
  interface: { events: "json" },
  ...extra,
});

const topology: Topology = {
  name: "demo",
  description: "two peers",
  file: "demo.yaml",
  peers: [
    peer("alice", []),
    peer("bob", ["alice"], {
      mode: "dedup",
      image: "student/peer:1",
      env: { DEBUG: "1" },
      limits: { memory: "1g", pids: 64 },
    }),
  ],
  links: [["bob", "alice"]],
  check: {},
  scenario: [],
};

describe("planLab", () => {
  const plan = planLab(topology, "p2plab/peer:0.1.0");

  it("names the network and labels it with the topology", () => {
    expect(plan.network.name).toBe("p2plab-demo");
    expect(plan.network.labels["p2plab.lab"]).toBe("demo");
    expect(JSON.parse(plan.network.labels["p2plab.topology"]!)).toEqual(topology);
  });

  it("plans one container per peer, reachable by its name, with the peer's flags", () => {
    expect(plan.peers.map((p) => p.container(new Map()).name)).toEqual(["p2plab-demo_alice", "p2plab-demo_bob"]);
    const bob = plan.peers[1]!.container(new Map());
    expect(bob).toEqual({
      name: "p2plab-demo_bob",
      image: "student/peer:1",
      cmd: [
        "--name",
        "bob",
        "--port",
        "7000",
        "--events",
        "json",
        "--mode",
        "dedup",
        "--heartbeat",
        "1s",
        "--timeout",
        "3s",
        "--hop-limit",
        "16",
        "--connect",
        "alice:7000",
      ],
      labels: { "p2plab.lab": "demo", "p2plab.peer": "bob", "p2plab.role": "peer" },
      network: "p2plab-demo",
      aliases: ["bob"],
      hostname: "bob",
      env: { DEBUG: "1" },
      limits: { memoryBytes: 1024 ** 3, pids: 64 },
      logFiles: { maxSize: "10m", maxFiles: 3 },
      init: true,
    });
    expect(plan.peers[0]!.container(new Map()).image).toBe("p2plab/peer:0.1.0");
  });

  it("adds a journal container running cat under an init (it stops at SIGTERM), labelled as the lab's, on no network", () => {
    expect(plan.journal).toMatchObject({
      name: "p2plab-demo_journal",
      image: "p2plab/peer:0.1.0",
      entrypoint: ["cat"],
      init: true,
      labels: { "p2plab.lab": "demo", "p2plab.role": "journal" },
      logFiles: { maxSize: "10m", maxFiles: 3 },
    });
    expect(plan.journal.network).toBeUndefined();
    expect(plan.journal.limits).toBeUndefined();
  });
});

describe("planLab: container limits from a topology file", () => {
  const planned = (yaml: string) => {
    const result = loadTopology(`name: lim\ndescription: d\n${yaml}`, "lim.yaml");
    if (!result.ok) expect.fail(result.errors.map(formatDiagnostic).join("\n"));
    return new Map(
      planLab(result.topology, "p2plab/peer:0.1.0").peers.map(({ peer, container }) => [peer, container(new Map())]),
    );
  };

  it("gives every peer 256m of memory and 256 pids by default, and bounded log files", () => {
    for (const container of planned("peers:\n  a: {}\n  b: { connect: [a] }\n").values()) {
      expect(container.limits).toEqual({ memoryBytes: 256 * 1024 ** 2, pids: 256 });
      expect(container.logFiles).toEqual({ maxSize: "10m", maxFiles: 3 });
    }
  });

  it("takes the topology's defaults, and a peer's own limits over them field by field", () => {
    const containers = planned(
      "defaults: { limits: { memory: 512m, pids: 100 } }\npeers:\n  a: {}\n  b: { connect: [a], limits: { memory: 2g } }\n  c: { connect: [a], limits: { pids: 32 } }\n",
    );
    expect(containers.get("a")!.limits).toEqual({ memoryBytes: 512 * 1024 ** 2, pids: 100 });
    expect(containers.get("b")!.limits).toEqual({ memoryBytes: 2 * 1024 ** 3, pids: 100 });
    expect(containers.get("c")!.limits).toEqual({ memoryBytes: 512 * 1024 ** 2, pids: 32 });
  });

  it("applies limits to generated peers too", () => {
    const containers = planned("defaults: { limits: { memory: 64m } }\ngenerate: { shape: ring, size: 3 }\n");
    expect([...containers.values()].map((container) => container.limits)).toEqual(
      Array(3).fill({ memoryBytes: 64 * 1024 ** 2, pids: 256 }),
    );
  });
});

describe("planLab: modes and the peers each one dials", () => {
  const flags = (yaml: string) => {
    const result = loadTopology(`name: modes\n${yaml}`, "modes.yaml");
    if (!result.ok) expect.fail(result.errors.map(formatDiagnostic).join("\n"));
    return new Map(
      planLab(result.topology, "p2plab/peer:0.1.0").peers.map(({ peer, container }) => [
        peer,
        container(new Map()).cmd,
      ]),
    );
  };
  const flag = (cmd: string[], name: string): string[] => cmd.flatMap((arg, i) => (arg === name ? [cmd[i + 1]!] : []));

  it("passes --mode heal and --min-neighbours to heal peers only, and every connect in every mode", () => {
    const cmds = flags(
      [
        "defaults: { mode: heal, minNeighbours: 3 }",
        "peers:",
        "  a: {}",
        "  b: { connect: [a] }",
        "  c: { connect: [a, b], mode: tree }",
        "  d: { connect: [b, c], mode: dedup }",
        "  e: { connect: [c, d], minNeighbours: 1 }",
        "",
      ].join("\n"),
    );
    expect([...cmds].map(([peer, cmd]) => [peer, flag(cmd, "--mode"), flag(cmd, "--min-neighbours")])).toEqual([
      ["a", ["heal"], ["3"]],
      ["b", ["heal"], ["3"]],
      ["c", ["tree"], []],
      ["d", ["dedup"], []],
      ["e", ["heal"], ["1"]],
    ]);
    expect(flag(cmds.get("c")!, "--connect")).toEqual(["a:7000", "b:7000"]);
    expect(flag(cmds.get("d")!, "--connect")).toEqual(["b:7000", "c:7000"]);
    expect(flag(cmds.get("e")!, "--connect")).toEqual(["c:7000", "d:7000"]);
  });

  it("passes --crash-handler, in any mode, to the peers whose topology asks for it only", () => {
    const cmds = flags(
      "defaults: { crashHandler: true }\npeers:\n  a: {}\n  b: { connect: [a], mode: heal }\n  c: { connect: [b], crashHandler: false }\n",
    );
    expect([...cmds].map(([peer, cmd]) => [peer, cmd.filter((arg) => arg === "--crash-handler")])).toEqual([
      ["a", ["--crash-handler"]],
      ["b", ["--crash-handler"]],
      ["c", []],
    ]);
  });

  it("gives a heal peer the default --min-neighbours 2, and a two-earlier shape two --connect each", () => {
    const cmds = flags("defaults: { mode: heal }\ngenerate: { shape: two-earlier, size: 4 }\n");
    expect([...cmds.values()].map((cmd) => flag(cmd, "--min-neighbours"))).toEqual(Array(4).fill(["2"]));
    expect([...cmds.values()].map((cmd) => flag(cmd, "--connect"))).toEqual([
      [],
      ["p1:7000"],
      ["p1:7000", "p2:7000"],
      ["p2:7000", "p3:7000"],
    ]);
  });
});

describe("container names", () => {
  it("keep lab and peer apart: lab net + peer a-b and lab net-a + peer b get different containers", () => {
    const one = planLab({ ...topology, name: "net", peers: [peer("a-b", [])], links: [] }, "p2plab/peer:0.1.0");
    const two = planLab({ ...topology, name: "net-a", peers: [peer("b", [])], links: [] }, "p2plab/peer:0.1.0");
    expect(one.peers[0]!.container(new Map()).name).not.toBe(two.peers[0]!.container(new Map()).name);
    expect(two.journal.name).not.toBe(containerName("net", "a-journal"));
  });

  it("invert: one character outside the name alphabet splits a name back into its lab and peer", () => {
    const names = ["a", "b", "a-b", "net", "net-a", "a-journal", "journal", "x1-2-3"];
    for (const lab of names) {
      for (const member of names) {
        const name = containerName(lab, member);
        expect(name.startsWith("p2plab-")).toBe(true);
        expect(name.slice("p2plab-".length).split(/[^a-z0-9-]/), name).toEqual([lab, member]);
      }
    }
  });
});

describe("planLab: a program's command and env", () => {
  const C = `image: p2pchat:1, command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]], interface: { events: stdio, ready: '^listening on port (?<port>\\d+)$' }`;
  const load = (lines: string[]): Topology => {
    const result = loadTopology(["name: c", ...lines, ""].join("\n"), "c.yaml");
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join("\n"));
    return result.topology;
  };

  it("starts a program that chooses its port once the peer it dials is ready, and gives it that port", () => {
    const topology = load([
      `defaults: { ${C}, env: { PEERS: "{connect}", ME: "{name}" } }`,
      "peers:",
      "  alice: {}",
      "  bob: { connect: [alice] }",
      "  carol: { connect: [bob] }",
    ]);
    const plan = planLab(topology, "p2plab/peer:0.1.0");
    expect(plan.waves).toEqual([["alice"], ["bob"], ["carol"]]);
    expect(plan.peers.map((peer) => [peer.peer, peer.waitsFor, peer.portAtRuntime])).toEqual([
      ["alice", [], true],
      ["bob", ["alice"], true],
      ["carol", ["bob"], true],
    ]);
    const ports = new Map([["alice", 41234]]);
    expect(plan.peers[0]!.container(ports)).toMatchObject({ cmd: ["alice"], env: { PEERS: "", ME: "alice" } });
    expect(plan.peers[1]!.container(ports)).toMatchObject({
      image: "p2pchat:1",
      cmd: ["bob", "alice", "41234"],
      env: { PEERS: "alice:41234", ME: "bob" },
      init: true,
    });
  });

  it("gives the reference flags the captured port of a program they dial; the reference image runs without an init", () => {
    const plan = planLab(
      load(["peers:", `  carol: { ${C} }`, "  ref: { connect: [carol], env: { PORT: '{port}' } }"]),
      "p2plab/peer:0.1.0",
    );
    expect(plan.peers[1]!.waitsFor).toEqual(["carol"]);
    const container = plan.peers[1]!.container(new Map([["carol", 40001]]));
    expect(container.cmd.slice(-2)).toEqual(["--connect", "carol:40001"]);
    expect(container.env).toEqual({ PORT: "7000" });
    expect(container).not.toHaveProperty("init");
  });
});
