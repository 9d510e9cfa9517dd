import { describe, expect, it } from "vitest";
import { swarmProblem, type EngineSwarm, type SwarmState } from "./swarm.js";

const inactive: SwarmState = { state: "inactive", nodeId: "", clusterId: "", manager: false, nodeAddr: "" };
const member = (nodeId: string, manager: boolean, clusterId = "c1"): SwarmState => ({
  state: "active",
  nodeId,
  clusterId,
  manager,
  nodeAddr: manager ? "10.0.0.1" : "10.0.0.9",
  ...(manager ? { workerToken: "SWMTKN-1-abc" } : {}),
});
const engine = (name: string, state: SwarmState, endpoint = `unix:///run/${name}.sock`): EngineSwarm => ({
  name,
  endpoint,
  state,
});

describe("whether the engines form one swarm", () => {
  it("one manager and its workers: no problem", () => {
    expect(swarmProblem([engine("a", member("n1", true)), engine("b", member("n2", false))])).toBeUndefined();
  });

  it("an engine outside the swarm: the join line with the manager's token and address", () => {
    const problem = swarmProblem([engine("a", member("n1", true)), engine("b", inactive)]);
    expect(problem?.message).toBe("the engines are not in one swarm (a: manager of swarm c1; b: inactive)");
    expect(problem?.fix).toContain("docker --context b swarm join --token SWMTKN-1-abc 10.0.0.1:2377");
    expect(problem?.fix).not.toContain("swarm init");
  });

  it("no swarm at all: init on the first (at its tcp host) and join the others", () => {
    const problem = swarmProblem([engine("a", inactive, "tcp://192.168.1.10:2376"), engine("b", inactive)]);
    expect(problem?.message).toBe("the engines are not in one swarm (a: inactive; b: inactive)");
    expect(problem?.fix).toContain("docker --context a swarm init --advertise-addr 192.168.1.10");
    expect(problem?.fix).toContain(
      "docker --context b swarm join --token $(docker --context a swarm join-token -q worker) 192.168.1.10:2377",
    );
  });

  it("a swarm of another manager: the engine leaves it first", () => {
    const problem = swarmProblem([engine("a", member("n1", true)), engine("b", member("n2", false, "c2"))]);
    expect(problem?.fix).toMatch(/docker --context b swarm leave --force\n\s+docker --context b swarm join/);
  });

  it("workers only: none can make the overlay", () => {
    const problem = swarmProblem([engine("a", member("n1", false)), engine("b", member("n2", false))]);
    expect(problem?.message).toMatch(/^none of the engines is a swarm manager/);
  });

  it("two contexts for one engine", () => {
    expect(swarmProblem([engine("a", member("n1", true)), engine("b", member("n1", true))])?.message).toBe(
      "engines a and b are the same engine (swarm node n1): a lab spreads over distinct engines",
    );
  });
});
