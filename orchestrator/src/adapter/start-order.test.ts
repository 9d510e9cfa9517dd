import { describe, expect, it } from "vitest";
import { planStartOrder, type StartPeer, type StartPlan } from "./start-order.js";

/** A program in the assignment's style: port chosen by the OS, no retry. */
const program = (name: string, ...connect: string[]): StartPeer => ({
  name,
  connect,
  portAtRuntime: true,
  retriesDials: false,
});
/** Told its port with {port}, no retry. */
const fixed = (name: string, ...connect: string[]): StartPeer => ({
  name,
  connect,
  portAtRuntime: false,
  retriesDials: false,
});
/** The reference peer: fixed port, retries. */
const reference = (name: string, ...connect: string[]): StartPeer => ({
  name,
  connect,
  portAtRuntime: false,
  retriesDials: true,
});

function order(plan: StartPlan) {
  if (!plan.ok) throw new Error(plan.problems.map((problem) => problem.message).join("; "));
  return plan.order;
}

function problems(plan: StartPlan) {
  if (plan.ok) throw new Error(`planned: ${JSON.stringify(plan.order.waves)}`);
  return plan.problems;
}

describe("planStartOrder", () => {
  it("a chain of runtime ports starts one peer after the other, each once the peer it dials is ready", () => {
    expect(
      order(
        planStartOrder([program("alice"), program("bob", "alice"), program("carol", "bob"), program("dave", "carol")]),
      ),
    ).toEqual({
      waves: [["alice"], ["bob"], ["carol"], ["dave"]],
      waitsFor: { alice: [], bob: ["alice"], carol: ["bob"], dave: ["carol"] },
      unordered: [],
    });
  });

  it("peers that wait for the same peer, or for none, start in parallel", () => {
    const plan = order(
      planStartOrder([
        fixed("leaf1", "hub"),
        program("hub"),
        fixed("leaf2", "hub"),
        program("solo"),
        fixed("leaf3", "hub", "solo"),
      ]),
    );
    expect(plan.waves).toEqual([
      ["hub", "solo"],
      ["leaf1", "leaf2", "leaf3"],
    ]);
    expect(plan.waitsFor).toEqual({ leaf1: ["hub"], hub: [], leaf2: ["hub"], solo: [], leaf3: ["hub", "solo"] });
  });

  it("reference peers, which retry and have fixed ports, all start at once", () => {
    expect(order(planStartOrder([reference("a", "b"), reference("b", "c"), reference("c", "a")]))).toEqual({
      waves: [["a", "b", "c"]],
      waitsFor: { a: [], b: [], c: [] },
      unordered: [],
    });
  });

  it("a peer that retries still waits for a runtime port it needs", () => {
    expect(order(planStartOrder([reference("a", "b"), program("b")])).waves).toEqual([["b"], ["a"]]);
  });

  it("a peer that does not retry waits for a fixed-port peer to listen too", () => {
    expect(order(planStartOrder([fixed("a"), fixed("b", "a"), program("c", "b")])).waves).toEqual([
      ["a"],
      ["b"],
      ["c"],
    ]);
  });

  it("a ring of fixed ports without retries leaves the dial that closes the cycle unordered", () => {
    expect(order(planStartOrder([fixed("a", "b"), fixed("b", "c"), fixed("c", "a")]))).toEqual({
      waves: [["c"], ["b"], ["a"]],
      waitsFor: { a: ["b"], b: ["c"], c: [] },
      unordered: [["c", "a"]],
    });
  });

  it("a wait for a runtime port comes first: the fixed-port wait against it is the one left unordered", () => {
    expect(order(planStartOrder([program("a", "b"), fixed("b", "a")]))).toEqual({
      waves: [["a"], ["b"]],
      waitsFor: { a: [], b: ["a"] },
      unordered: [["a", "b"]],
    });
    expect(order(planStartOrder([fixed("a", "b"), program("b", "a")]))).toEqual({
      waves: [["b"], ["a"]],
      waitsFor: { a: ["b"], b: [] },
      unordered: [["b", "a"]],
    });
  });

  it("a target named twice is waited for once; a target that is no peer is left to the topology's check", () => {
    expect(order(planStartOrder([program("a"), program("b", "a", "a", "ghost")])).waitsFor).toEqual({
      a: [],
      b: ["a"],
    });
  });

  it("two peers that need each other's runtime port: a problem at the first one's dial, naming the cycle", () => {
    expect(problems(planStartOrder([program("alice", "bob"), program("bob", "alice")]))).toEqual([
      {
        path: ["peers", "alice", "connect", 0],
        cycle: ["alice", "bob", "alice"],
        message: "alice → bob → alice: each needs the other's port, known only once it runs",
        hint: "give one of them a fixed {port}",
      },
    ]);
  });

  it("a longer cycle is named by its shortest loop through its first peer, one problem per tangle", () => {
    const plan = planStartOrder([
      program("a", "x", "b"),
      program("b", "c", "a"),
      program("c", "a"),
      program("x"),
      program("p", "q"),
      fixed("q", "r"),
      program("r", "p"),
    ]);
    expect(problems(plan)).toEqual([
      {
        path: ["peers", "a", "connect", 1],
        cycle: ["a", "b", "a"],
        message: "a → b → a: each needs the other's port, known only once it runs",
        hint: "give one of them a fixed {port}",
      },
    ]);
    expect(
      problems(planStartOrder([program("p", "q"), program("q", "r"), program("r", "p"), program("s", "s")])),
    ).toEqual([
      {
        path: ["peers", "p", "connect", 0],
        cycle: ["p", "q", "r", "p"],
        message: "p → q → r → p: each needs the next one's port, known only once it runs",
        hint: "give one of them a fixed {port}",
      },
      {
        path: ["peers", "s", "connect", 0],
        cycle: ["s", "s"],
        message: "s → s: it needs its own port, known only once it runs",
        hint: "give s a fixed {port}",
      },
    ]);
  });

  it("a cycle through a fixed port is no problem: the dial to it is the one left unordered", () => {
    expect(order(planStartOrder([program("p", "q"), fixed("q", "r"), program("r", "p")]))).toEqual({
      waves: [["p"], ["r"], ["q"]],
      waitsFor: { p: [], q: ["r"], r: ["p"] },
      unordered: [["p", "q"]],
    });
  });
});
