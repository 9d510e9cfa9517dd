import { afterEach, describe, expect, it } from "vitest";
import { MemoryLabs, shipped, topologyFrom } from "../../../test/support/memory-lab.js";
import type { Topology } from "../topology/schema.js";
import { runScenario, type ScenarioOptions } from "./runner.js";
import type { StepOutcome } from "./steps.js";

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

/** chain.yaml with its scenario replaced by these steps (YAML list items), loaded as a file would be. */
function chainWith(steps: string[]): Topology {
  return shipped("topologies/chain.yaml", (text) =>
    text.replace(/^scenario:\n[^]*$/m, `scenario:\n${steps.map((s) => `  - ${s}\n`).join("")}`),
  );
}

function collecting(signal = new AbortController().signal): ScenarioOptions & { outcomes: StepOutcome[] } {
  const outcomes: StepOutcome[] = [];
  return { signal, onStep: (_index, _total, _step, outcome) => outcomes.push(outcome), outcomes };
}

describe("the scenario's steps on a memory runtime", () => {
  it("runs every kind of step in order; each fault is lab's own control and leaves a snapshot of the overlay", async () => {
    const chain = chainWith([
      "send: { from: alice, text: one, as: first }",
      "expect: { delivered: first, to: [bob, carol, dave], within: 3s }",
      "stop: dave",
      "start: dave",
      "pause: bob",
      "resume: bob",
      "restart: carol",
      "kill: bob",
      "wait: 100ms",
      "expect: { state: { bob: killed, dave: running }, partitions: [[alice], [carol], [dave]], links: { down: [[carol, dave]] } }",
    ]);
    const lab = await labs.up(chain);
    const options = collecting();
    const result = await runScenario(lab, chain.scenario, options);
    expect(
      options.outcomes.map((outcome) => [outcome.ok, outcome.summary.replace(/ \(alice:[0-9a-z]+:1\)/, "")]),
    ).toEqual([
      [true, 'alice sent "one" to bob'],
      [true, 'expect "first" delivered to bob, carol, dave within 3s'],
      [true, "stopped dave (SIGTERM, SIGKILL after 5 s); partitions {alice, bob, carol}"],
      [true, "started dave (it reconnects to its own --connect targets only); partitions {alice, bob, carol, dave}"],
      [
        true,
        "paused bob (frozen: its neighbours notice only when their heartbeat times out); partitions {alice} {carol, dave}",
      ],
      [true, "resumed bob; partitions {alice, bob, carol, dave}"],
      [
        true,
        "restarted carol (a new process: it reconnects to its own --connect targets only); partitions {alice, bob, carol} {dave}; not back: dave–carol (dave dialled it, and a link that went down is not dialled again (peer/PROTOCOL.md §6))",
      ],
      [true, "killed bob (SIGKILL); partitions {alice} {carol} {dave}"],
      [true, "waited 100ms"],
      [true, "expect partitions {alice} {carol} {dave}; links down carol–dave; bob killed, dave running"],
    ]);
    expect(result.snapshots.map((snapshot) => snapshot.label)).toEqual([
      "before the run",
      "after stop dave",
      "after start dave",
      "after pause bob",
      "after resume bob",
      "after restart carol",
      "after kill bob",
    ]);
    // Drawn from the lab as it was, every link up, not from follows still replaying the logs.
    expect(result.snapshots[0]!.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
    expect(result.snapshots[0]!.links).toHaveLength(3);
    expect(result.expectations.map((e) => [e.step, e.ok])).toEqual([
      [2, true],
      [10, true],
    ]);
    expect((await lab.recording()).actions.map((a) => `${a.action} ${a.target}`)).toEqual([
      "up undefined",
      "send alice",
      "stop dave",
      "start dave",
      "pause bob",
      "resume bob",
      "restart carol",
      "kill bob",
    ]);
  });

  it("a refused fault or send is a failed step with the refusal as its detail, and the scenario goes on", async () => {
    const chain = chainWith([
      "kill: bob",
      "resume: bob",
      "send: { from: bob, text: hi }",
      "expect: { state: { bob: killed } }",
    ]);
    const lab = await labs.up(chain);
    const options = collecting();
    const result = await runScenario(lab, chain.scenario, options);
    expect(options.outcomes.map(({ ok, summary, detail }) => ({ ok, summary, detail }))).toEqual([
      { ok: true, summary: "killed bob (SIGKILL); partitions {alice} {carol, dave}", detail: undefined },
      { ok: false, summary: "resume bob refused", detail: "cannot resume bob: it is killed (try lab start bob)" },
      { ok: false, summary: "cannot send from bob", detail: "cannot send from bob: it is killed (lab start bob)" },
      { ok: true, summary: "expect bob killed", detail: undefined },
    ]);
    expect(result.expectations.map((e) => [e.step, e.description, e.ok])).toEqual([
      [2, "resume bob", false],
      [3, "send from bob: hi", false],
      [4, "expect bob killed", true],
    ]);
  });

  it("an expectation about a message never sent fails at once, saying so", async () => {
    const chain = chainWith(["expect: { delivered: nope, to: [bob], within: 10s }"]);
    const lab = await labs.up(chain);
    const started = Date.now();
    const result = await runScenario(lab, chain.scenario, collecting());
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.expectations).toMatchObject([
      {
        ok: false,
        detail: expect.stringMatching(
          /^expected: message "nope" delivered\nseen after [^:]+: no message "nope" was sent before this step$/,
        ),
      },
    ]);
  });

  it("expect cost: tree mode on two-earlier loops (duplicates, hop-limit drops); a later cost expectation judges only the sends after it", async () => {
    const lab5 = topologyFrom(
      [
        "name: loops",
        "defaults: { mode: tree, hopLimit: 3 }",
        "generate: { shape: two-earlier, size: 5 }",
        "scenario:",
        "  - send: { from: p1, text: storm }",
        "  - expect: { cost: { duplicates: some, hopLimitDrops: some, atLeast: 1.5 }, within: 5s }",
        "  - expect: { cost: { duplicates: some }, within: 5s }",
        "",
      ].join("\n"),
    );
    const lab = await labs.up(lab5);
    const result = await runScenario(lab, lab5.scenario, collecting());
    expect(result.expectations.map((e) => [e.description, e.ok])).toEqual([
      ["expect cost: payload frames ≥ 1.5 × (N − 1), some duplicates, some hop-limit drops within 5s", true],
      ["expect cost: some duplicates within 5s", false],
    ]);
    expect(result.expectations[1]!.detail).toMatch(/: no message was sent since the previous cost expectation$/);
  });

  it("expect cost: dedup floods each link about twice, judged at the end of the window", async () => {
    // Two-earlier of five has 7 links: dedup sends 2 × 7 − (5 − 1) = 10 payload frames for a floor of 4.
    const lab5 = topologyFrom(
      [
        "name: flood",
        "defaults: { mode: dedup }",
        "generate: { shape: two-earlier, size: 5 }",
        "scenario:",
        "  - send: { from: p3, text: one, as: first }",
        "  - expect: { cost: { atMost: 2.5, duplicates: some }, within: 1s }",
        "  - expect: { cost: { atMost: 2, since: first }, within: 1s }",
        "",
      ].join("\n"),
    );
    const lab = await labs.up(lab5);
    const started = Date.now();
    const result = await runScenario(lab, lab5.scenario, collecting());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(result.expectations.map((e) => e.ok)).toEqual([true, false]);
    expect(result.expectations[1]!.detail).toMatch(/above 2×: p3:[0-9a-z]+:1 10 frames for 4/);
  });

  it("`at` holds a step until its time from the scenario's start", async () => {
    const chain = chainWith(["at: 600ms\n    expect: { state: { alice: running } }"]);
    const lab = await labs.up(chain);
    const started = Date.now();
    const result = await runScenario(lab, chain.scenario, collecting());
    expect(Date.parse(result.expectations[0]!.at) - started).toBeGreaterThanOrEqual(600);
  });

  it("Ctrl-C ends a wait at once", async () => {
    const chain = chainWith(["wait: 5m"]);
    const lab = await labs.up(chain);
    const interrupt = new AbortController();
    const started = Date.now();
    const running = runScenario(lab, chain.scenario, collecting(interrupt.signal));
    setTimeout(() => interrupt.abort(), 50);
    await expect(running).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
