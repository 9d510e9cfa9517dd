import { describe, expect, it } from "vitest";
import type { Topology } from "../topology/schema.js";
import { containerName } from "./labels.js";
import { planLab } from "./plan.js";

const peer = (name: string, connect: string[], extra: Partial<Topology["peers"][number]> = {}) => ({
  name,
  connect,
  mode: "tree" as const,
  heartbeat: "1s",
  timeout: "3s",
  hopLimit: 16,
  env: {},
  ...extra,
});

const topology: Topology = {
  name: "demo",
  description: "two peers",
  file: "demo.yaml",
  peers: [peer("alice", []), peer("bob", ["alice"], { mode: "dedup", image: "student/peer:1", env: { DEBUG: "1" } })],
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
    expect(plan.peers.map((p) => p.container.name)).toEqual(["p2plab-demo_alice", "p2plab-demo_bob"]);
    const bob = plan.peers[1]!.container;
    expect(bob).toEqual({
      name: "p2plab-demo_bob",
      image: "student/peer:1",
      cmd: ["--name", "bob", "--port", "7000", "--events", "json", "--mode", "dedup", "--heartbeat", "1s", "--timeout", "3s", "--hop-limit", "16", "--connect", "alice:7000"],
      labels: { "p2plab.lab": "demo", "p2plab.peer": "bob", "p2plab.role": "peer" },
      network: "p2plab-demo",
      aliases: ["bob"],
      hostname: "bob",
      env: { DEBUG: "1" },
    });
    expect(plan.peers[0]!.container.image).toBe("p2plab/peer:0.1.0");
  });

  it("adds a journal container running cat, labelled as the lab's", () => {
    expect(plan.journal).toMatchObject({
      name: "p2plab-demo_journal",
      image: "p2plab/peer:0.1.0",
      entrypoint: ["cat"],
      labels: { "p2plab.lab": "demo", "p2plab.role": "journal" },
    });
  });
});

describe("container names", () => {
  it("keep lab and peer apart: lab net + peer a-b and lab net-a + peer b get different containers", () => {
    const one = planLab({ ...topology, name: "net", peers: [peer("a-b", [])], links: [] }, "p2plab/peer:0.1.0");
    const two = planLab({ ...topology, name: "net-a", peers: [peer("b", [])], links: [] }, "p2plab/peer:0.1.0");
    expect(one.peers[0]!.container.name).not.toBe(two.peers[0]!.container.name);
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
