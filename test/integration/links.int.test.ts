import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { PeerEvent } from "../../peer/src/events.js";
import { matchTcpLinks, parseTcpTable } from "../../orchestrator/src/adapter/tcp-table.js";
import { liveOverlay, reportedNeighbors, type PeerState } from "../../orchestrator/src/check/overlay.js";
import type { RunReport } from "../../orchestrator/src/check/run-report.js";
import type { LabSnapshot } from "../../orchestrator/src/lab/lab.js";
import { OBSERVE_LINKS_VARIABLE } from "../../orchestrator/src/lab/observe-links.js";
import { helperLabels } from "../../orchestrator/src/plan/labels.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { TcpTablesUnreadableError, type ContainerInfo } from "../../orchestrator/src/runtime/runtime.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import type { LinkRecord } from "../../orchestrator/src/transcript/link-records.js";
import type { TimelineRecord } from "../../orchestrator/src/transcript/transcript.js";
import { lab, labJson, leftovers, topologyCopy, type LabRun } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";
const run = promisify(execFile);

/** A chain of three reference peers: bob dials alice, carol dials bob. */
const THREE = (text: string): string =>
  text.replace(
    /^peers:[\s\S]*?^scenario:[\s\S]*$/m,
    "peers:\n  alice: {}\n  bob: { connect: [alice] }\n  carol: { connect: [bob] }\n",
  );

/** The lab told to observe bob's and carol's links from their TCP tables, as it will a program that reports none. */
const OBSERVE_BRIDGES = { env: { [OBSERVE_LINKS_VARIABLE]: "bob,carol" } };

async function observing(args: string[]): Promise<LabRun> {
  const run = await lab(args, OBSERVE_BRIDGES);
  if (run.code !== 0) throw new Error(`lab ${args.join(" ")} exited ${run.code}:\n${run.stderr}${run.stdout}`);
  return run;
}

async function status(name: string): Promise<LabSnapshot> {
  return JSON.parse((await observing(["status", name, "--json"])).stdout) as LabSnapshot;
}

/** The lab's timeline as `lab logs --json` prints it: the peers' own events and the links lab observed. */
async function timeline(name: string): Promise<{ events: PeerEvent[]; observed: LinkRecord[] }> {
  const records = (await observing(["logs", "--lab", name, "--json"])).stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as TimelineRecord);
  return {
    events: records.filter((r): r is PeerEvent => r.peer !== "lab" && r.peer !== "engine"),
    observed: records.filter((r): r is LinkRecord => r.ev === "links"),
  };
}

/** What status would say from the peers' own link events alone: each running peer's neighbours, and the partitions. */
function fromOwnEvents(
  snapshot: LabSnapshot,
  events: PeerEvent[],
): { neighbors: Record<string, string[]>; partitions: string[][] } {
  const reported = reportedNeighbors(events);
  const names = snapshot.peers.map((peer) => peer.name);
  const states: PeerState[] = snapshot.peers.map(({ name, status }) => ({ name, status }));
  return {
    neighbors: Object.fromEntries(
      snapshot.peers.map((peer) => [
        peer.name,
        peer.status === "running" ? names.filter((n) => reported.get(peer.name)?.has(n)) : [],
      ]),
    ),
    partitions: liveOverlay(states, reported, snapshot.network).partitions,
  };
}

describe.skipIf(skipReason !== undefined)(
  `links seen from outside, on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const started: string[] = [];
    afterAll(async () => {
      for (const name of started) await lab(["down", name, "--results", RESULTS]);
      for (const name of started) expect(await leftovers(name)).toEqual([]);
    });

    it("reads a container's TCP tables: by exec, through a helper when paused or without cat, and says why when stopped", async () => {
      const name = uniqueLabName("tcpread");
      started.push(name);
      const up = await lab(["up", await topologyCopy("topologies/chain.yaml", name, THREE)]);
      expect(up.code, up.stderr).toBe(0);
      const runtime = new DockerRuntime();
      const containers = await runtime.listContainers({ "p2plab.lab": name, "p2plab.role": "peer" });
      const byPeer = new Map(containers.map((info) => [info.labels["p2plab.peer"]!, info]));
      const [alice, bob, carol] = ["alice", "bob", "carol"].map((peer) => byPeer.get(peer)!) as [
        ContainerInfo,
        ContainerInfo,
        ContainerInfo,
      ];
      const peers = [alice, bob, carol].map((info) => ({
        name: info.labels["p2plab.peer"]!,
        address: info.address!,
        port: 7000,
      }));
      expect(peers.map((peer) => peer.address)).toEqual(peers.map(() => expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)));
      const helpers = helperLabels(name);
      const linksIn = (text: string, peer: string) =>
        matchTcpLinks(new Map([[peer, parseTcpTable(text)]]), peers).map(
          ({ dialer, acceptor }) => `${dialer}>${acceptor}`,
        );

      const byExec = await runtime.readTcpTables(bob.id, helpers);
      expect(byExec.via).toBe("exec");
      expect(linksIn(byExec.text, "bob")).toEqual(["bob>alice", "carol>bob"]);

      // Paused: the engine refuses an exec, a helper in its network namespace reads it.
      await runtime.pause(bob.id);
      try {
        const paused = await runtime.readTcpTables(bob.id, helpers);
        expect(paused.via).toBe("helper");
        expect(linksIn(paused.text, "bob")).toEqual(["bob>alice", "carol>bob"]);
      } finally {
        await runtime.unpause(bob.id);
      }

      // An image without cat: the helper brings its own.
      await run("docker", ["exec", "--user", "0", carol.id, "rm", "/usr/bin/cat"]);
      const noCat = await runtime.readTcpTables(carol.id, helpers);
      expect(noCat.via).toBe("helper");
      expect(linksIn(noCat.text, "carol")).toEqual(["carol>bob"]);

      // Stopped: no namespace left to read, and both ways say why.
      await runtime.kill(alice.id, "SIGKILL");
      const stopped = await runtime.readTcpTables(alice.id, helpers).catch((error: unknown) => error);
      expect(stopped).toBeInstanceOf(TcpTablesUnreadableError);
      expect((stopped as Error).message).toMatch(
        /^cannot read the TCP tables of \w+: exec: .*is not running.*; helper: .+/,
      );
      expect((await runtime.inspect(alice.id)).address).toBeUndefined();
      // Every helper was removed once it had read.
      expect(await runtime.listContainers(helpers)).toEqual([]);
    });

    it("status from bob's and carol's TCP tables matches the peers' own events, before and after the bridge is killed; a paused peer's links look up", async () => {
      const name = uniqueLabName("tcplinks");
      started.push(name);
      // A long heartbeat timeout: a paused peer's neighbours keep its links long enough to look.
      const file = await topologyCopy("topologies/chain.yaml", name, (text) =>
        text.replace("defaults:\n  mode: tree\n", "defaults:\n  mode: tree\n  timeout: 30s\n"),
      );
      await observing(["up", file]);

      const wired = await status(name);
      expect(wired.peers.map((peer) => [peer.name, peer.linkSource, peer.neighbors])).toEqual([
        ["alice", "events", ["bob"]],
        ["bob", "tcp-table", ["alice", "carol"]],
        ["carol", "tcp-table", ["bob", "dave"]],
        ["dave", "events", ["carol"]],
      ]);
      const own = fromOwnEvents(wired, (await timeline(name)).events);
      expect(Object.fromEntries(wired.peers.map((peer) => [peer.name, peer.neighbors]))).toEqual(own.neighbors);
      expect(wired.overlay.partitions).toEqual(own.partitions);

      await observing(["kill", "bob", "--lab", name]);
      const split = await status(name);
      expect(split.overlay.partitions).toEqual([["alice"], ["carol", "dave"]]);
      expect(split.peers.find((peer) => peer.name === "carol")).toMatchObject({
        linkSource: "tcp-table",
        neighbors: ["dave"],
      });
      const afterKill = await timeline(name);
      const ownAfter = fromOwnEvents(split, afterKill.events);
      expect(Object.fromEntries(split.peers.map((peer) => [peer.name, peer.neighbors]))).toEqual(ownAfter.neighbors);
      expect(split.overlay.partitions).toEqual(ownAfter.partitions);
      expect(afterKill.observed.map((r) => `${r.target} ${r.source}: +${r.up.join(",")} -${r.down.join(",")}`)).toEqual(
        [
          "bob tcp-table: +alice,carol -",
          "carol tcp-table: +bob,dave -",
          "bob tcp-table: + -alice,carol",
          "carol tcp-table: + -bob",
        ],
      );

      // Paused, carol is in no partition; its table (read by a helper: the engine refuses an exec)
      // still holds its link to dave, ESTABLISHED, as dave still reports it up: a silent link looks up.
      await observing(["pause", "carol", "--lab", name]);
      const paused = await status(name);
      expect(paused.overlay.partitions).toEqual([["alice"], ["dave"]]);
      expect(paused.peers.find((peer) => peer.name === "carol")).toMatchObject({
        status: "paused",
        linkSource: "tcp-table",
      });
      const whilePaused = await timeline(name);
      // pause and status each looked at the paused carol, and found nothing changed: no new record.
      expect(whilePaused.observed).toEqual(afterKill.observed);
      expect(whilePaused.observed.filter((r) => r.target === "carol").at(-1)).toMatchObject({
        source: "tcp-table",
        neighbors: ["dave"],
      });
      expect(reportedNeighbors(whilePaused.events).get("dave")).toEqual(new Set(["carol"]));
      expect(await new DockerRuntime().listContainers(helperLabels(name))).toEqual([]);
    });

    it("the reference peer read as a stdio program (text events, no link events): status and partitions come from the TCP tables and match what the peers print", async () => {
      const name = uniqueLabName("refstdio");
      started.push(name);
      // The reference peer with --events text: the lab reads its lines by regexes, as any program's.
      const stdio = [
        "defaults:",
        "  mode: tree",
        '  command: ["--name", "{name}", "--port", "{port}", ["--connect", "{connect}"], "--events", "text"]',
        "  interface:",
        "    events: stdio",
        "    ready: ' listening on port \\d+$'",
        "    received: '^\\S+  \\S+ ← \\S+: (?<text>.*) \\(from (?<from>\\S+), \\d+ hops?\\)$'",
        "",
      ].join("\n");
      const file = await topologyCopy("topologies/chain.yaml", name, (text) =>
        // A function, not a string: `$'` in a replacement string means "what follows the match".
        text.replace("defaults:\n  mode: tree\n", () => stdio),
      );
      const up = await lab(["up", file]);
      expect(up.code, up.stderr).toBe(0);
      const snapshot = async (): Promise<LabSnapshot> =>
        JSON.parse((await lab(["status", name, "--json"])).stdout) as LabSnapshot;
      /** The neighbours each peer's own text lines say it has: link up, less link down. */
      const printed = async (): Promise<Record<string, string[]>> => {
        const neighbours: Record<string, string[]> = {};
        for (const peer of ["alice", "bob", "carol", "dave"]) {
          const up = new Set<string>();
          for (const line of (await lab(["logs", peer, "--lab", name])).stdout.split("\n")) {
            const link = / (\S+) ⇄ (\S+): link up| (\S+) ✕ (\S+): link down/.exec(line);
            if (link?.[2]) up.add(link[2]);
            if (link?.[4]) up.delete(link[4]);
          }
          neighbours[peer] = ["alice", "bob", "carol", "dave"].filter((n) => up.has(n));
        }
        return neighbours;
      };

      const wired = await snapshot();
      expect(wired.peers.map((peer) => peer.linkSource)).toEqual(["tcp-table", "tcp-table", "tcp-table", "tcp-table"]);
      expect(wired.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
      expect(Object.fromEntries(wired.peers.map((peer) => [peer.name, peer.neighbors]))).toEqual(await printed());
      const sent = await labJson<{ receivedBy: string[] }>(["send", "alice", "hello", "--lab", name]);
      expect(sent.receivedBy).toEqual(["bob", "carol", "dave"]);

      expect((await lab(["kill", "bob", "--lab", name])).code).toBe(0);
      const split = await snapshot();
      expect(split.overlay.partitions).toEqual([["alice"], ["carol", "dave"]]);
      const afterKill = await printed();
      expect(
        Object.fromEntries(split.peers.filter((p) => p.status === "running").map((p) => [p.name, p.neighbors])),
      ).toEqual({
        alice: afterKill.alice,
        carol: afterKill.carol,
        dave: afterKill.dave,
      });
    });

    it("lab run observes bob's and carol's links all through the scenario: it passes, and the summary says so", async () => {
      const name = uniqueLabName("tcprun");
      started.push(name);
      const run = await lab(
        ["run", await topologyCopy("topologies/chain.yaml", name), "--results", RESULTS],
        OBSERVE_BRIDGES,
      );
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const dir = /report: (\S+)\/report\.html/.exec(run.stdout)![1]!;
      const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as RunReport;
      expect(summary.verdict).toBe("pass");
      expect(summary.linkSources).toEqual({
        alice: { source: "events" },
        bob: { source: "tcp-table" },
        carol: { source: "tcp-table" },
        dave: { source: "events" },
      });
      expect(summary.snapshots.at(-1)).toMatchObject({
        label: "after kill bob",
        partitions: [["alice"], ["carol", "dave"]],
      });
      const observed = (await readFile(join(dir, "timeline.txt"), "utf8"))
        .split("\n")
        .filter((line) => line.includes("lab: carol's TCP table"));
      expect(observed.map((line) => line.slice(line.indexOf("lab:")))).toEqual([
        "lab: carol's TCP table: links up bob, dave; now bob, dave",
        "lab: carol's TCP table: links down bob; now dave",
      ]);
      expect(await readFile(join(dir, "report.md"), "utf8")).toContain(
        "- **Links from:** own link events: alice, dave; TCP table: bob, carol",
      );
    });
  },
);
