import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryLabs, leftovers, shipped, upOptions } from "../../../test/support/memory-lab.js";
import type { RunReport } from "../check/run-report.js";
import type { StepOutcome } from "../scenario/steps.js";
import { InputError } from "../errors.js";
import { Lab } from "../lab/lab.js";
import { foreignMessageId } from "../adapter/stdio-adapter.js";
import { OBSERVE_LINKS_VARIABLE } from "../lab/observe-links.js";
import { lineChat } from "../runtime/memory-line-chat.js";
import { referencePeer, type Program } from "../runtime/memory-programs.js";
import { loadTopology } from "../topology/load.js";
import { runLab, type RunOptions } from "./run.js";

const labs = new MemoryLabs();
afterEach(async () => {
  vi.unstubAllEnvs();
  await labs.closeAll();
});

/** A peer that stops reporting its links once wired: it never prints a link-down. */
const staleLinks: Program = (context) =>
  referencePeer({
    ...context,
    print: (stream, text) => void (/"ev":"link-down"/.test(text) || context.print(stream, text)),
  });

/**
 * chain.yaml with carol running that peer: after bob restarts, carol's old link to him is gone
 * (a link that went down is not dialled again) though carol never says so.
 */
const carolGoesQuiet = (text: string): string =>
  text.replace("  carol: { connect: [bob] }", '  carol: { connect: [bob], image: "stale-links:1" }').replace(
    /^scenario:\n[^]*$/m,
    `scenario:
  - restart: bob
  - expect: { partitions: [[alice, bob], [carol, dave]], within: 5s }
  - send: { from: dave, text: split }
  - expect: { delivered: split, to: [carol], within: 3s }
`,
  );

/** chain.yaml, but dave is expected to hear alice after bob died: that cannot hold. */
const wrongExpectation = (text: string): string =>
  text.replace(
    "  - expect: { delivered: anyone?, to: [], within: 2s }",
    "  - expect: { delivered: anyone?, to: [dave], within: 2s }",
  );

function runOptions(overrides: Partial<RunOptions> = {}): RunOptions & { steps: StepOutcome[]; progressed: string[] } {
  const steps: StepOutcome[] = [];
  const progressed: string[] = [];
  const { onFailure: _onFailure, ...up } = upOptions({ progress: (message) => progressed.push(message) });
  return {
    ...up,
    keep: false,
    onStep: (_index, _total, _step, outcome) => steps.push(outcome),
    ...overrides,
    steps,
    progressed,
  };
}

describe("lab run on a memory runtime", () => {
  it("runs the chain story to a pass: every expectation held, every delivery checked, every result saved, nothing left", async () => {
    const runtime = labs.runtime();
    const options = runOptions();
    const { report, saved } = await runLab(runtime, shipped("topologies/chain.yaml"), options);
    expect(options.steps.map((step) => step.ok)).toEqual([true, true, true, true, true, true, true, true]);
    expect(report.verdict).toBe("pass");
    expect(report.reasons).toEqual([]);
    expect(report.expectations.map((e) => e.ok)).toEqual([true, true, true, true]);
    expect(report.snapshots.map((s) => s.label)).toEqual(["before the run", "after kill bob"]);
    expect(report.check.counts).toMatchObject({ delivered: 4, missing: 0, duplicated: 0, unreachable: 5 });
    expect(saved.dir.startsWith(options.resultsDir)).toBe(true);
    for (const file of [
      "report.html",
      "report.md",
      "timeline.jsonl",
      "timeline.txt",
      "transcripts/alice.jsonl",
      "transcripts/dave.txt",
    ]) {
      expect(existsSync(join(saved.dir, file)), file).toBe(true);
    }
    expect((JSON.parse(await readFile(join(saved.dir, "summary.json"), "utf8")) as RunReport).verdict).toBe("pass");
    expect(await leftovers(runtime, "chain")).toEqual([]);
  });

  it("a peer whose links the lab observes: partitions and the checker follow its TCP table, not its silence", async () => {
    vi.stubEnv(OBSERVE_LINKS_VARIABLE, "carol");
    const runtime = labs.runtime({ "stale-links:1": staleLinks });
    const options = runOptions();
    const { report } = await runLab(runtime, shipped("topologies/chain.yaml", carolGoesQuiet), options);
    expect(options.steps.map((step) => [step.ok, step.detail ?? ""])).toEqual(options.steps.map(() => [true, ""]));
    expect(report.verdict).toBe("pass");
    expect(report.snapshots.at(-1)).toMatchObject({
      label: "after restart bob",
      partitions: [
        ["alice", "bob"],
        ["carol", "dave"],
      ],
    });
    expect(report.messages[0]).toMatchObject({ text: "split", reachable: ["carol"] });
    expect(report.linkSources).toEqual({
      alice: { source: "events" },
      bob: { source: "events" },
      carol: { source: "tcp-table" },
      dave: { source: "events" },
    });
  });

  it("a wrong expectation fails the run with the step and why, and still saves everything and removes the lab", async () => {
    const runtime = labs.runtime();
    const options = runOptions();
    const { report, saved } = await runLab(runtime, shipped("topologies/chain.yaml", wrongExpectation), options);
    expect(report.verdict).toBe("fail");
    expect(report.reasons).toEqual(['step 6 failed: expect "anyone?" delivered to dave within 2s']);
    const failed = options.steps[5]!;
    expect(failed).toMatchObject({ ok: false, summary: 'expect "anyone?" delivered to dave within 2s' });
    expect(failed.detail).toContain('expected: "anyone?" from alice shown by dave and no one else');
    expect(failed.detail).toMatch(/seen after 2(\.\d)?s: shown by nobody \(not by dave\)/);
    expect(failed.detail).toMatch(/transcript:\n.*alice → nobody: anyone\?/);
    expect((JSON.parse(await readFile(join(saved.dir, "summary.json"), "utf8")) as RunReport).verdict).toBe("fail");
    expect(await leftovers(runtime, "chain")).toEqual([]);
  });

  it("--keep leaves the lab running as the scenario left it, its results saved", async () => {
    const runtime = labs.runtime();
    const killBob = (text: string): string => text.replace(/^scenario:\n[^]*$/m, "scenario:\n  - kill: bob\n");
    const { report, saved } = await runLab(
      runtime,
      shipped("topologies/chain.yaml", killBob),
      runOptions({ keep: true }),
    );
    expect(report.verdict).toBe("pass");
    expect(existsSync(join(saved.dir, "summary.json"))).toBe(true);
    expect(await leftovers(runtime, "chain")).toEqual([
      "p2plab-chain_journal",
      "p2plab-chain_alice",
      "p2plab-chain_bob",
      "p2plab-chain_carol",
      "p2plab-chain_dave",
      "p2plab-chain",
    ]);
    const lab = await Lab.find(runtime, "chain");
    expect((await lab.snapshot()).overlay.partitions).toEqual([["alice"], ["carol", "dave"]]);
  });

  it("Ctrl-C during the scenario stops it, saves the transcripts, then removes the lab", async () => {
    const runtime = labs.runtime();
    const interrupt = new AbortController();
    const options = runOptions({ signal: interrupt.signal });
    const onStep = options.onStep;
    options.onStep = (index, total, step, outcome) => {
      onStep(index, total, step, outcome);
      if (index === 1) interrupt.abort();
    };
    await expect(runLab(runtime, shipped("topologies/chain.yaml"), options)).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(options.steps).toHaveLength(2);
    const saved = /^transcripts saved to (.+)$/.exec(options.progressed.at(-1)!)?.[1];
    expect(await readFile(join(saved!, "transcripts/dave.jsonl"), "utf8")).toContain('"text":"hello"');
    expect((await readdir(options.resultsDir)).some((entry) => entry.startsWith("chain-"))).toBe(true);
    expect(await leftovers(runtime, "chain")).toEqual([]);
  });

  it("a results directory that cannot be written: exit 2 before anything is started", async () => {
    const runtime = labs.runtime();
    const attempt = runLab(runtime, shipped("topologies/chain.yaml"), runOptions({ resultsDir: "/proc/p2plab-nope" }));
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(/^cannot write results to \/proc\/p2plab-nope: /),
      exitCode: 2,
    });
    expect(await runtime.listContainers({})).toEqual([]);
  });

  it("lab run --image: every peer runs that program, talked to as the defaults say, and the results say which ran", async () => {
    const runtime = labs.runtime({ "student/chat:2": lineChat });
    const text = [
      "name: cc",
      "defaults:",
      '  command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]]',
      "  interface: { events: stdio, ready: '^listening on port (?<port>\\d+)$' }",
      "peers:",
      "  alice: { image: someone/else:1 }",
      "  bob: { connect: [alice] }",
      "  carol: { connect: [bob] }",
      "scenario:",
      "  - send: { from: alice, text: hello }",
      "  - expect: { delivered: hello, to: [bob, carol], within: 3s }",
      "",
    ].join("\n");
    const loaded = loadTopology(text, "cc.yaml", { program: { image: "student/chat:2" } });
    if (!loaded.ok) throw new Error("the topology does not load");
    const options = runOptions({ resultsName: "cc-student-chat-2" });
    const { report, saved } = await runLab(runtime, loaded.topology, options);
    expect(options.steps.map((step) => [step.ok, step.summary])).toEqual([
      [true, `alice sent "hello" (${foreignMessageId("hello")}) to its neighbours (it does not say which)`],
      [true, 'expect "hello" delivered to bob, carol within 3s'],
    ]);
    expect(report.verdict).toBe("pass");
    expect(basename(saved.dir)).toMatch(/^cc-student-chat-2-\d{4}-/);
    expect(await leftovers(runtime, "cc")).toEqual([]);
  });

  it("runs c-chain.yaml, the C example's story, to a pass with its program in memory", async () => {
    const runtime = labs.runtime({}, { [resolve("examples/c-p2pchat")]: lineChat });
    const options = runOptions();
    const { report } = await runLab(runtime, shipped("topologies/c-chain.yaml"), options);
    expect(options.steps.filter((step) => !step.ok)).toEqual([]);
    expect(report.verdict).toBe("pass");
    expect(report.expectations.map((e) => e.ok)).toEqual([true, true, true, true, true]);
    expect(report.check.counts).toMatchObject({ delivered: 4, unexpected: 0, missing: 0 });
    expect(await leftovers(runtime, "c-chain")).toEqual([]);
  });
});
