import { readFile } from "node:fs/promises";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { checkDeliveries } from "../../orchestrator/src/check/checker.js";
import { statesAt } from "../../orchestrator/src/check/timeline-state.js";
import type { RunReport } from "../../orchestrator/src/check/run-report.js";
import { loadTopologyFile } from "../../orchestrator/src/topology/load.js";
import type { Topology } from "../../orchestrator/src/topology/schema.js";
import type { TimelineRecord } from "../../orchestrator/src/transcript/transcript.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, leftovers, startLab, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";
/** A peer's NODE_OPTIONS that make it take 1.5 s longer to start. */
const SLOW_START = "--import=data:text/javascript,const%20t=Date.now();while(Date.now()-t<1500);";

interface Status {
  peers: Array<{ name: string; status: string; exitCode?: number }>;
  overlay: { partitions: string[][] };
  journal: string;
}
interface Control {
  partitionsAfter: string[][];
  links: Array<{ link: [string, string]; back: boolean; why?: string }>;
}

/** Behind lab's back: straight to the engine, as `docker kill` or `docker rm -f` would. */
const docker = new Docker();
async function containerOf(name: string, labels: Record<string, string>): Promise<Docker.Container> {
  const filters = { label: [`p2plab.lab=${name}`, ...Object.entries(labels).map(([key, value]) => `${key}=${value}`)] };
  const [found] = await docker.listContainers({ all: true, filters });
  if (!found) throw new Error(`no container of lab ${name} with ${JSON.stringify(labels)}`);
  return docker.getContainer(found.Id);
}

async function topologyOf(file: string): Promise<Topology> {
  const loaded = await loadTopologyFile(file);
  if (!loaded.ok) throw new Error(`${file} did not load`);
  return loaded.topology;
}

async function savedTimeline(dir: string): Promise<TimelineRecord[]> {
  const text = await readFile(join(dir, "timeline.jsonl"), "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as TimelineRecord);
}

describe.skipIf(skipReason !== undefined)(
  `what the engine knows, on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const started: string[] = [];
    const upLab = async (prefix: string, edit?: (text: string) => string): Promise<{ name: string; file: string }> => {
      const name = uniqueLabName(prefix);
      started.push(name);
      const file = await topologyCopy("topologies/chain.yaml", name, edit);
      const up = await lab(["up", file]);
      expect(up.code, up.stderr).toBe(0);
      return { name, file };
    };
    afterAll(async () => {
      for (const name of started) await lab(["down", name, "--results", RESULTS]);
      for (const name of started) expect(await leftovers(name)).toEqual([]);
    });

    it("a peer killed behind lab's back during a run is dead from then on: no false missing, the report names it", async () => {
      const name = uniqueLabName("engkill");
      started.push(name);
      const scenario = (text: string): string =>
        `${text.slice(0, text.indexOf("scenario:"))}scenario:
  - send: { from: alice, text: before }
  - expect: { delivered: before, to: [bob, carol, dave], within: 5s }
  - expect: { partitions: [[alice], [carol, dave]], within: 60s }
  - send: { from: carol, text: after }
  - expect: { delivered: after, to: [dave], within: 5s }
`;
      const running = startLab([
        "run",
        await topologyCopy("topologies/chain.yaml", name, scenario),
        "--results",
        RESULTS,
      ]);
      await running.waitFor(/\[2\/5\] ✓/);
      await (await containerOf(name, { "p2plab.peer": "bob" })).kill();
      const run = await running.done;
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const dir = /report: (\S+)\/report\.html/.exec(run.stdout)![1]!;
      const report = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as RunReport;
      expect(report.verdict).toBe("pass");
      expect(report.check.counts.missing).toBe(0);
      expect(report.messages.map((m) => [m.text, m.reachable])).toEqual([
        ["before", ["bob", "carol", "dave"]],
        ["after", ["dave"]],
      ]);
      expect(report.outsideLab).toMatchObject([
        { peer: "engine", ev: "container", target: "bob", change: "die", exitCode: 137 },
      ]);
      expect(report.journal).toBe("running");
      expect(await readFile(join(dir, "report.md"), "utf8")).toMatch(
        /## Outside lab's control\n\n.*\n\n- \+[\d.]+s engine: bob died \(exit 137\)/,
      );
      expect(await leftovers(name)).toEqual([]);
    });

    it("a peer killed behind lab's back between commands: status shows it dead, the saved timeline has its death", async () => {
      const { name, file } = await upLab("engdown");
      await (await containerOf(name, { "p2plab.peer": "bob" })).kill();
      const status = await labJson<Status>(["status", name]);
      expect(status.peers.find((p) => p.name === "bob")).toMatchObject({ status: "killed", exitCode: 137 });
      expect(await labJson(["send", "carol", "after", "--lab", name])).toMatchObject({
        receivedBy: ["dave"],
        reachable: ["dave"],
      });

      const down = await lab(["down", name, "--results", RESULTS]);
      expect(down.code, down.stderr).toBe(0);
      const timeline = await savedTimeline(/transcripts saved to (\S+)/.exec(down.stdout)![1]!);
      expect(timeline.filter((r) => r.ev === "action").map((r) => r.action)).toEqual(["up", "send"]);
      expect(timeline).toContainEqual(
        expect.objectContaining({ peer: "engine", ev: "container", target: "bob", change: "die", exitCode: 137 }),
      );
      const checked = checkDeliveries(await topologyOf(file), timeline);
      expect(checked.messages.map((m) => [m.text, m.reachable])).toEqual([["after", ["dave"]]]);
      expect(checked.check.counts.missing).toBe(0);
    });

    it("with its journal removed, lab says so, and still knows what it killed", async () => {
      const { name, file } = await upLab("engjournal");
      await (await containerOf(name, { "p2plab.role": "journal" })).remove({ force: true });

      const kill = await lab(["kill", "bob", "--lab", name]);
      expect(kill.code, kill.stderr).toBe(0);
      expect(kill.stdout).toContain("warning: the lab's journal container is missing (removed)");
      const status = await lab(["status", name]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(
        "warning: the lab's journal container is missing (removed): every action it recorded is lost",
      );
      expect(await labJson<Status>(["status", name])).toMatchObject({ journal: "missing" });
      expect(await labJson(["send", "alice", "alone", "--lab", name])).toMatchObject({ receivedBy: [], reachable: [] });

      const out = join(RESULTS, `${name}-journal-gone`);
      expect((await lab(["transcripts", name, "--out", out])).code).toBe(0);
      const timeline = await savedTimeline(out);
      expect(timeline.filter((r) => r.ev === "action")).toEqual([]);
      const death = timeline.find((r) => r.ev === "container" && r.target === "bob" && r.change === "die");
      expect(death).toMatchObject({ exitCode: 137 });
      expect(statesAt(["alice", "bob"], timeline, death!.ts)).toEqual([
        { name: "alice", status: "running" },
        { name: "bob", status: "killed" },
      ]);
      const checked = checkDeliveries(await topologyOf(file), timeline);
      expect(checked.messages.map((m) => [m.text, m.reachable])).toEqual([["alone", []]]);
      expect(checked.check.failing).toEqual([]);
    });

    it("a run whose journal is removed keeps its own record of what it did, and its report says the journal is missing", async () => {
      const name = uniqueLabName("engrunjournal");
      started.push(name);
      // bob starts slowly, so the lab is still wiring when the journal goes.
      const scenario = (text: string): string =>
        `${text.slice(0, text.indexOf("scenario:")).replace("bob: { connect: [alice] }", `bob: { connect: [alice], env: { NODE_OPTIONS: "${SLOW_START}" } }`)}scenario:
  - kill: bob
  - expect: { partitions: [[alice], [carol, dave]], within: 10s }
  - send: { from: carol, text: after }
  - expect: { delivered: after, to: [dave], within: 5s }
`;
      const running = startLab([
        "run",
        await topologyCopy("topologies/chain.yaml", name, scenario),
        "--results",
        RESULTS,
      ]);
      await running.waitFor(/waiting for 3 links/);
      await (await containerOf(name, { "p2plab.role": "journal" })).remove({ force: true });
      const run = await running.done;
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const dir = /report: (\S+)\/report\.html/.exec(run.stdout)![1]!;
      const report = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as RunReport;
      expect(report.journal).toBe("missing");
      expect(report.actions.map((a) => [a.action, a.target])).toEqual([
        ["up", undefined],
        ["kill", "bob"],
        ["send", "carol"],
      ]);
      expect(report.outsideLab).toEqual([]);
      expect(report.check.counts.missing).toBe(0);
      expect(await readFile(join(dir, "report.md"), "utf8")).toContain(
        "> **Journal:** the lab's journal container is missing (removed)",
      );
      expect(await leftovers(name)).toEqual([]);
    });

    it("restart reports partitions once the links it brings back are back, and says which are not", async () => {
      // bob dials both neighbours here, so a restart of bob brings the whole chain back. It takes
      // 1.5 s to start, longer than the lab's quiet window: partitions read before it is back are wrong.
      const bobDials = (text: string): string =>
        text
          .replace(
            "bob: { connect: [alice] }",
            `bob: { connect: [alice, carol], env: { NODE_OPTIONS: "${SLOW_START}" } }`,
          )
          .replace("carol: { connect: [bob] }", "carol: {}");
      const { name } = await upLab("engrestart", bobDials);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const restart = await labJson<Control>(["restart", "bob", "--lab", name, "--grace", "1s"]);
        expect(restart.partitionsAfter, `restart ${attempt}`).toEqual([["alice", "bob", "carol", "dave"]]);
        expect(restart.links).toEqual([
          { link: ["bob", "alice"], back: true },
          { link: ["bob", "carol"], back: true },
        ]);
      }

      const carol = await lab(["restart", "carol", "--lab", name, "--grace", "1s"]);
      expect(carol.code, carol.stderr).toBe(0);
      expect(carol.stdout).toContain(
        "not back: bob–carol (bob dialled it, and a link that went down is not dialled again (peer/PROTOCOL.md §6))",
      );
      expect(carol.stdout).toContain("not back: dave–carol (dave dialled it,");
      expect(carol.stdout).toContain("{alice, bob} {carol} {dave}");

      expect((await lab(["kill", "alice", "--lab", name])).code).toBe(0);
      const lonely = await lab(["restart", "bob", "--lab", name, "--grace", "1s"]);
      expect(lonely.code, lonely.stderr).toBe(0);
      expect(lonely.stdout).toContain("links back: bob–carol");
      expect(lonely.stdout).toContain("not back: bob–alice (alice is killed)");
      expect(lonely.stdout).toContain("{bob, carol} {dave}");
    });
  },
);
