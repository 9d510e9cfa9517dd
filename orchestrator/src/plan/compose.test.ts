import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadTopology, loadTopologyFile } from "../topology/load.js";
import { composeFile } from "./compose.js";
import { planLab } from "./plan.js";

describe("composeFile", () => {
  it("exports chain.yaml with the same names, commands and labels as lab up", async () => {
    const loaded = await loadTopologyFile("topologies/chain.yaml");
    if (!loaded.ok) throw new Error("chain.yaml does not load");
    const plan = planLab(loaded.topology, "p2plab/peer:0.1.0");
    const text = composeFile(plan, "topologies/chain.yaml");
    expect(text.split("\n")[0]).toBe('# The p2plab lab "chain", exported from topologies/chain.yaml by `lab compose`.');
    const doc = parse(text);
    expect(Object.keys(doc.services)).toEqual(["alice", "bob", "carol", "dave", "journal"]);
    expect(doc.services.carol).toEqual({
      image: "p2plab/peer:0.1.0",
      container_name: "p2plab-chain_carol",
      hostname: "carol",
      command: plan.peers[2]!.container(new Map()).cmd,
      stdin_open: true,
      labels: { "p2plab.lab": "chain", "p2plab.peer": "carol", "p2plab.role": "peer" },
      networks: { lab: { aliases: ["carol"] } },
      mem_limit: 256 * 1024 ** 2,
      memswap_limit: 256 * 1024 ** 2,
      pids_limit: 256,
      logging: { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } },
    });
    expect(doc.services.carol.command).toContain("bob:7000");
    expect(doc.services.journal).toMatchObject({
      entrypoint: ["cat"],
      init: true,
      labels: { "p2plab.role": "journal" },
      network_mode: "none",
    });
    expect(doc.networks.lab.name).toBe("p2plab-chain");
    expect(JSON.parse(doc.networks.lab.labels["p2plab.topology"]).name).toBe("chain");
  });

  it("doubles every $ in what compose interpolates, so env, commands and labels arrive as lab up passes them", async () => {
    const loaded = await loadTopologyFile("topologies/chain.yaml");
    if (!loaded.ok) throw new Error("chain.yaml does not load");
    // Braces are placeholders' own ({{ is a literal {): the container is given ${SECRET:-none}.
    const env = { X: "$HOME-literal", SECRET: "${{SECRET:-none}}", PRICE: "$$5" };
    const topology = {
      ...loaded.topology,
      description: "costs $5",
      peers: loaded.topology.peers.map((peer) => ({ ...peer, env, image: "student/$IMAGE" })),
    };
    const doc = parse(composeFile(planLab(topology, "p2plab/peer:0.1.0"), "$HOME/chain.yaml")) as unknown;
    // What compose does to every string value: `$$` is a `$`, any other `$` starts a variable.
    const interpolate = (value: unknown): unknown => {
      if (typeof value === "string") {
        expect(value.replaceAll("$$", ""), value).not.toContain("$");
        return value.replaceAll("$$", "$");
      }
      if (Array.isArray(value)) return value.map(interpolate);
      if (typeof value === "object" && value !== null)
        return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, interpolate(inner)]));
      return value;
    };
    const seen = interpolate(doc) as {
      services: Record<string, { environment: object; image: string }>;
      networks: { lab: { labels: Record<string, string> } };
    };
    expect(seen.services.alice!.environment).toEqual({ ...env, SECRET: "${SECRET:-none}" });
    expect(seen.services.alice!.image).toBe("student/$IMAGE");
    expect(JSON.parse(seen.networks.lab.labels["p2plab.topology"]!)).toEqual(topology);
  });

  it("exports a heal lab with the flags lab up gives it: --mode heal, --min-neighbours and each --connect", () => {
    const loaded = loadTopology(
      "name: h\ndefaults: { mode: heal, minNeighbours: 3 }\ngenerate: { shape: two-earlier, size: 3 }\n",
      "h.yaml",
    );
    if (!loaded.ok) throw new Error("the topology does not load");
    const plan = planLab(loaded.topology, "p2plab/peer:0.1.0");
    const doc = parse(composeFile(plan, "h.yaml"));
    expect(doc.services.p3.command).toEqual(plan.peers[2]!.container(new Map()).cmd);
    expect(doc.services.p3.command.join(" ")).toContain(
      "--mode heal --heartbeat 1s --timeout 3s --hop-limit 16 --min-neighbours 3 --connect p1:7000 --connect p2:7000",
    );
  });

  it("exports --crash-handler for a peer whose topology asks for it", () => {
    const loaded = loadTopology("name: c\npeers:\n  a: { crashHandler: true }\n  b: { connect: [a] }\n", "c.yaml");
    if (!loaded.ok) throw new Error("the topology does not load");
    const doc = parse(composeFile(planLab(loaded.topology, "p2plab/peer:0.1.0"), "c.yaml"));
    expect(doc.services.a.command).toContain("--crash-handler");
    expect(doc.services.b.command).not.toContain("--crash-handler");
  });

  it("refuses a lab whose peers must wait for another's ready line: compose cannot wait for a line", () => {
    const loaded = loadTopology(
      [
        "name: c",
        "defaults:",
        "  image: p2pchat:1",
        '  command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]]',
        "  interface: { events: stdio, ready: 'port (?<port>\\d+)' }",
        "peers:",
        "  alice: {}",
        "  bob: { connect: [alice] }",
        "",
      ].join("\n"),
      "c.yaml",
    );
    if (!loaded.ok) throw new Error("the topology does not load");
    expect(() => composeFile(planLab(loaded.topology, "p2plab/peer:0.1.0"), "c.yaml")).toThrow(
      expect.objectContaining({
        message:
          "lab compose cannot export c.yaml: bob must start once alice printed a ready line (it is given the port read from it), and compose cannot wait for a line",
        hint: "run it with lab up c.yaml",
        exitCode: 2,
      }),
    );
  });
});
