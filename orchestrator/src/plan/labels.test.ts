import { describe, expect, it } from "vitest";
import type { NetworkInfo } from "../runtime/runtime.js";
import { loadTopology, loadTopologyFile } from "../topology/load.js";
import { helperLabels, readMember, readTopology } from "./labels.js";
import { planLab } from "./plan.js";

const loaded = await loadTopologyFile("topologies/chain.yaml");
if (!loaded.ok) throw new Error("chain.yaml does not load");
const chain = loaded.topology;
const plan = planLab(chain, "p2plab/peer:0.1.0");
const network: NetworkInfo = { id: "n1", name: plan.network.name, labels: plan.network.labels };

/** The chain lab's network, its topology label edited as a hand could. */
const edited = (edit: (topology: Record<string, unknown>) => void): NetworkInfo => {
  const topology = JSON.parse(plan.network.labels["p2plab.topology"]!) as Record<string, unknown>;
  edit(topology);
  return { ...network, labels: { ...network.labels, "p2plab.topology": JSON.stringify(topology) } };
};
const problem = (reading: ReturnType<typeof readTopology> | ReturnType<typeof readMember>): string | undefined =>
  reading && !reading.ok ? reading.problem : undefined;

describe("readTopology", () => {
  it("reads back what lab up wrote", () => {
    expect(readTopology([network], "chain")).toEqual({ ok: true, value: chain });
  });

  it("reads back a topology without a description", () => {
    const { description: _, ...plain } = chain;
    const written = planLab(plain, "p2plab/peer:0.1.0").network;
    expect(readTopology([{ ...network, labels: written.labels }], "chain")).toEqual({ ok: true, value: plain });
  });

  it("reads back a heal lab with its minNeighbours, and refuses a minNeighbours below 1", () => {
    const heal = loadTopology(
      "name: chain\ndefaults: { mode: heal, minNeighbours: 3 }\ngenerate: { shape: two-earlier, size: 3 }\n",
      "h.yaml",
    );
    if (!heal.ok) throw new Error("the heal topology does not load");
    const written = planLab(heal.topology, "p2plab/peer:0.1.0").network;
    expect(readTopology([{ ...network, labels: written.labels }], "chain")).toEqual({ ok: true, value: heal.topology });
    const zero = JSON.parse(written.labels["p2plab.topology"]!) as { peers: Array<{ minNeighbours: number }> };
    zero.peers[0]!.minNeighbours = 0;
    const labels = { ...written.labels, "p2plab.topology": JSON.stringify(zero) };
    expect(problem(readTopology([{ ...network, labels }], "chain"))).toMatch(/peers\[0\]\.minNeighbours/);
  });

  it("reads back a peer's crashHandler", () => {
    const handlers = loadTopology(
      "name: chain\npeers:\n  a: { crashHandler: true }\n  b: { connect: [a] }\n",
      "c.yaml",
    );
    if (!handlers.ok) throw new Error("the topology does not load");
    const written = planLab(handlers.topology, "p2plab/peer:0.1.0").network;
    const read = readTopology([{ ...network, labels: written.labels }], "chain");
    expect(read).toEqual({ ok: true, value: handlers.topology });
    expect(read?.ok && read.value.peers.map((peer) => peer.crashHandler)).toEqual([true, undefined]);
  });

  it("has nothing to read without the lab's network or its label (an interrupted up)", () => {
    expect(readTopology([], "chain")).toBeUndefined();
    expect(readTopology([{ ...network, labels: { "p2plab.lab": "chain" } }], "chain")).toBeUndefined();
  });

  it("reads only the network named for the lab, not any network carrying its label", () => {
    expect(readTopology([{ ...network, name: "elsewhere" }], "chain")).toBeUndefined();
  });

  it("refuses a peer named by a path, naming the network, the label and the field", () => {
    const evil = edited((t) => ((t.peers as Array<{ name: string }>)[1]!.name = "../../evil"));
    expect(problem(readTopology([evil], "chain"))).toBe(
      "network p2plab-chain: label p2plab.topology is not a topology lab up wrote: peers[1].name: expected a DNS-safe name (lowercase letters, digits and '-', at most 32) (and 3 more)",
    );
  });

  it("refuses links and connections to peers it does not list, and the reserved name", () => {
    expect(problem(readTopology([edited((t) => (t.links = [["alice", "mallory"]]))], "chain"))).toMatch(
      /: links\[0\]\[1\]: unknown peer "mallory"$/,
    );
    expect(
      problem(
        readTopology([edited((t) => ((t.peers as Array<{ connect: string[] }>)[0]!.connect = ["zed"]))], "chain"),
      ),
    ).toMatch(/: peers\[0\]\.connect\[0\]: unknown peer "zed"$/);
    expect(
      problem(readTopology([edited((t) => ((t.peers as Array<{ name: string }>)[0]!.name = "journal"))], "chain")),
    ).toMatch(/: peers\[0\]\.name: peer name "journal" is reserved/);
  });

  it("reads back a foreign program's build, command and stdio interface, and refuses them edited into what lab cannot run", () => {
    const foreign = loadTopology(
      [
        "name: chain",
        "defaults:",
        "  build: { context: ../examples/c-p2pchat }",
        '  command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]]',
        "  interface: { events: stdio, ready: 'port (?<port>\\d+)$' }",
        "peers:",
        "  alice: {}",
        "  bob: { connect: [alice] }",
        "",
      ].join("\n"),
      "topologies/c.yaml",
    );
    if (!foreign.ok) throw new Error("the foreign topology does not load");
    const labels = planLab(foreign.topology, "p2plab/peer:0.1.0").network.labels;
    const stored = { ...network, labels };
    expect(readTopology([stored], "chain")).toEqual({ ok: true, value: foreign.topology });
    type StoredPeer = { interface: { ready: string }; command: string[]; build: { context: string }; image: string };
    const edit = (change: (peer: StoredPeer) => void): NetworkInfo => {
      const topology = JSON.parse(labels["p2plab.topology"]!) as { peers: StoredPeer[] };
      change(topology.peers[1]!);
      return { ...network, labels: { ...labels, "p2plab.topology": JSON.stringify(topology) } };
    };
    expect(problem(readTopology([edit((bob) => (bob.interface.ready = "port (\\d+"))], "chain"))).toMatch(
      /: peers\[1\]\.interface\.ready: does not compile: Invalid regular expression/,
    );
    expect(problem(readTopology([edit((bob) => (bob.command = ["{nam}"]))], "chain"))).toMatch(
      /: peers\[1\]\.command\[0\]: unknown placeholder \{nam\}/,
    );
    expect(problem(readTopology([edit((bob) => (bob.build.context = "examples"))], "chain"))).toMatch(
      /: peers\[1\]\.build\.context: not an absolute path$/,
    );
    expect(problem(readTopology([edit((bob) => (bob.image = "x/y:1"))], "chain"))).toMatch(
      /: peers\[1\]\.build: image and build together$/,
    );
  });

  it("refuses what is not JSON, fields lab up never writes, and another lab's topology", () => {
    expect(problem(readTopology([{ ...network, labels: { "p2plab.topology": "{" } }], "chain"))).toBe(
      "network p2plab-chain: label p2plab.topology is not JSON",
    );
    expect(problem(readTopology([edited((t) => (t.extra = 1))], "chain"))).toMatch(
      /is not a topology lab up wrote: Unrecognized key: "extra"$/,
    );
    expect(problem(readTopology([edited((t) => (t.name = "other"))], "chain"))).toBe(
      'network p2plab-chain: label p2plab.topology holds the topology of lab "other", not of chain',
    );
  });
});

describe("readMember", () => {
  const container = (name: string, labels: Record<string, string>) => ({
    name,
    labels: { "p2plab.lab": "chain", ...labels },
  });

  it("knows the peers and the journal lab up made", () => {
    const alice = plan.peers[0]!.container(new Map());
    expect(readMember(container(alice.name, alice.labels), chain)).toEqual({
      ok: true,
      value: { role: "peer", peer: "alice" },
    });
    expect(readMember(container(plan.journal.name, plan.journal.labels), chain)).toEqual({
      ok: true,
      value: { role: "journal" },
    });
  });

  it("knows a helper reading TCP tables by its role, whatever name the engine gave it", () => {
    expect(readMember(container("eager_turing", helperLabels("chain")), chain)).toEqual({
      ok: true,
      value: { role: "helper" },
    });
  });

  it("refuses a peer label that is a path, quoting it", () => {
    expect(
      problem(
        readMember(container("eager_turing", { "p2plab.peer": "../../evil\u001b[2J", "p2plab.role": "peer" }), chain),
      ),
    ).toBe(
      `container eager_turing: label p2plab.peer "../../evil\\u001b[2J" is not a peer name (lowercase letters, digits and '-', at most 32)`,
    );
  });

  it("refuses a peer the topology does not list, and a container without a role", () => {
    expect(
      problem(readMember(container("p2plab-chain_zed", { "p2plab.peer": "zed", "p2plab.role": "peer" }), chain)),
    ).toBe('container p2plab-chain_zed: label p2plab.peer "zed" names no peer of lab chain');
    expect(problem(readMember(container("helper", {}), chain))).toBe("container helper: no label p2plab.role");
  });

  it("refuses a container posing as a peer or the journal under another name", () => {
    expect(problem(readMember(container("impostor", { "p2plab.peer": "alice", "p2plab.role": "peer" }), chain))).toBe(
      "container impostor: labelled as peer alice of lab chain, but lab names that container p2plab-chain_alice",
    );
    expect(problem(readMember(container("p2plab-chain_alice", { "p2plab.role": "journal" }), chain))).toBe(
      "container p2plab-chain_alice: labelled as the journal of lab chain, but lab names that container p2plab-chain_journal",
    );
  });
});
