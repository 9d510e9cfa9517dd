import { afterAll, describe, expect, it } from "vitest";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, leftovers, startLab, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();

interface Status {
  peers: Array<{ name: string; status: string; exitCode?: number; neighbors: string[] }>;
  overlay: { links: string[][]; partitions: string[][] };
}
interface Sent {
  receivedBy: string[];
  reachable: string[];
}

const FAST = (text: string): string => text.replace(/^defaults:\n/m, "defaults:\n  heartbeat: 300ms\n  timeout: 1s\n");
const started: string[] = [];

async function upLab(shipped: string, prefix: string, edit?: (text: string) => string): Promise<string> {
  const name = uniqueLabName(prefix);
  started.push(name);
  const run = await lab(["up", await topologyCopy(shipped, name, edit)]);
  expect(run.code, run.stderr).toBe(0);
  return name;
}

describe.skipIf(skipReason !== undefined)(
  `lab on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    afterAll(async () => {
      for (const name of started) await lab(["down", name, "--results", "/tmp/p2plab-test-results"]);
      for (const name of started) expect(await leftovers(name)).toEqual([]);
    });

    it("tells the chain story: wired, delivered, partitioned by killing the bridge, saved and removed", async () => {
      const name = await upLab("topologies/chain.yaml", "chain");
      const wired = await labJson<Status>(["status", name]);
      expect(wired.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);

      const hello = await labJson<Sent>(["send", "alice", "hello", "--lab", name]);
      expect(hello.receivedBy).toEqual(["bob", "carol", "dave"]);

      const kill = await lab(["kill", "bob", "--lab", name]);
      expect(kill.code, kill.stderr).toBe(0);
      expect(kill.stdout).toContain("killed bob (SIGKILL)");
      expect(kill.stdout).toContain("{alice} {carol, dave}");

      const split = await labJson<Status>(["status", name]);
      expect(split.overlay.partitions).toEqual([["alice"], ["carol", "dave"]]);
      expect(split.peers.find((p) => p.name === "bob")).toMatchObject({ status: "killed", exitCode: 137 });

      expect(await labJson<Sent>(["send", "alice", "anyone?", "--lab", name])).toMatchObject({
        receivedBy: [],
        reachable: [],
      });
      expect(await labJson<Sent>(["send", "dave", "still", "here", "--lab", name])).toMatchObject({
        receivedBy: ["carol"],
        reachable: ["carol"],
      });

      const out = `/tmp/p2plab-test-results/${name}-transcripts`;
      const transcripts = await lab(["transcripts", name, "--out", out]);
      expect(transcripts.code, transcripts.stderr).toBe(0);
      const { readFile: read } = await import("node:fs/promises");
      expect(await read(`${out}/transcripts/carol.jsonl`, "utf8")).toContain('"ev":"recv"');
      expect(await read(`${out}/timeline.txt`, "utf8")).toMatch(/lab kill bob\n/);

      const logs = await lab(["logs", "--lab", name]);
      expect(logs.stdout).toMatch(/carol ← bob: hello \(from alice, 2 hops\)/);
      expect(logs.stdout).toMatch(/lab kill bob/);

      const down = await lab(["down", name, "--results", "/tmp/p2plab-test-results"]);
      expect(down.code, down.stderr).toBe(0);
      const saved = /transcripts saved to (\S+)/.exec(down.stdout)?.[1];
      expect(saved).toBeDefined();
      const { readFile } = await import("node:fs/promises");
      const timeline = await readFile(`${saved}/timeline.jsonl`, "utf8");
      expect(timeline).toContain('"action":"kill","target":"bob"');
      expect(await readFile(`${saved}/transcripts/dave.txt`, "utf8")).toContain(
        "dave ← carol: hello (from alice, 3 hops)",
      );
      expect(await leftovers(name)).toEqual([]);
      expect((await lab(["down", name])).code).toBe(0);
    });

    it("a paused bridge times out at its neighbours and, without healing, stays cut off after resume", async () => {
      const name = await upLab("topologies/chain.yaml", "pause", FAST);
      expect((await lab(["pause", "bob", "--lab", name])).code).toBe(0);
      expect((await labJson<Status>(["status", name])).overlay.partitions).toEqual([["alice"], ["carol", "dave"]]);
      // Until both neighbours have timed bob out, as their logs say it.
      const following = startLab(["logs", "-f", "--json", "--lab", name]);
      for (const peer of ["alice", "carol"])
        await following.waitFor(new RegExp(`"peer":"${peer}"[^\n]*"ev":"link-down"[^\n]*"neighbor":"bob"`));
      following.signal("SIGINT");
      expect((await following.done).code).toBe(0);
      const logs = await lab(["logs", "--lab", name, "--json"]);
      const downs = logs.stdout
        .split("\n")
        .filter((line) => line.includes('"link-down"') && line.includes('"neighbor":"bob"'));
      expect(
        downs
          .map((line) => JSON.parse(line))
          .map((e) => [e.peer, e.reason])
          .sort(),
      ).toEqual([
        ["alice", "timeout"],
        ["carol", "timeout"],
      ]);

      const resume = await lab(["resume", "bob", "--lab", name]);
      expect(resume.code, resume.stderr).toBe(0);
      const after = await labJson<Status>(["status", name]);
      expect(after.peers.find((p) => p.name === "bob")).toMatchObject({ status: "running", neighbors: [] });
      expect(after.overlay.partitions).toEqual([["alice"], ["bob"], ["carol", "dave"]]);
    });

    it("restart and start bring a peer back to its own --connect targets; stop exits it cleanly", async () => {
      const name = await upLab("topologies/chain.yaml", "restart");
      const restart = await lab(["restart", "carol", "--lab", name]);
      expect(restart.code, restart.stderr).toBe(0);
      // carol dials bob again; dave dialled carol, and nothing dials dave back.
      expect((await labJson<Status>(["status", name])).overlay.partitions).toEqual([
        ["alice", "bob", "carol"],
        ["dave"],
      ]);

      const stop = await lab(["stop", "dave", "--lab", name, "--grace", "2s"]);
      expect(stop.code, stop.stderr).toBe(0);
      expect((await labJson<Status>(["status", name])).peers.find((p) => p.name === "dave")).toMatchObject({
        status: "exited",
        exitCode: 0,
      });

      expect((await lab(["start", "dave", "--lab", name])).code).toBe(0);
      const status = await labJson<Status>(["status", name]);
      expect(status.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);

      const refused = await lab(["resume", "dave", "--lab", name]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("cannot resume dave: it is running");
      const unknown = await lab(["kill", "dav", "--lab", name]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown peer "dav"');
      expect(unknown.stderr).toContain('did you mean "dave"?');
    });

    it("watch follows the lab live until Ctrl-C, which leaves the lab running; --json streams it as NDJSON", async () => {
      const name = await upLab("topologies/chain.yaml", "watch");
      const watching = startLab(["watch", name]);
      const streaming = startLab(["watch", name, "--json"]);
      await watching.waitFor(/-- partitions: \{alice, bob, carol, dave\}/);
      await streaming.waitFor(/"ev":"status".*"partitions":\[\["alice","bob","carol","dave"\]\]/);
      expect((await lab(["send", "alice", "live", "--lab", name])).code).toBe(0);
      expect((await lab(["kill", "carol", "--lab", name])).code).toBe(0);
      await watching.waitFor(/-- partitions: \{alice, bob\} \{dave\}/);
      await streaming.waitFor(/"ev":"status".*"partitions":\[\["alice","bob"\],\["dave"\]\]/);
      watching.signal("SIGINT");
      streaming.signal("SIGINT");
      const watched = await watching.done;
      const streamed = await streaming.done;
      expect(streamed.code, streamed.stderr).toBe(0);
      const records = streamed.stdout
        .trimEnd()
        .split("\n")
        .map(
          (line) =>
            JSON.parse(line) as { peer: string; ev: string; text?: string; overlay?: { partitions: string[][] } },
        );
      const statuses = records.filter((record) => record.peer === "lab" && record.ev === "status");
      const wired = statuses.findIndex(
        (status) => status.overlay!.partitions.length === 1 && status.overlay!.partitions[0]!.length === 4,
      );
      expect(wired).toBeGreaterThanOrEqual(0);
      expect(statuses.at(-1)!.overlay!.partitions).toEqual([["alice", "bob"], ["dave"]]);
      expect(statuses.length - 1).toBeGreaterThan(wired);
      expect(records).toContainEqual(expect.objectContaining({ peer: "dave", ev: "recv", text: "live" }));
      expect(watched.code, watched.stderr).toBe(0);
      expect(watched.stdout).toContain("-- partitions: {alice, bob, carol, dave}");
      expect(watched.stdout).toContain("dave ← carol: live (from alice, 3 hops)");
      expect(watched.stdout).toContain("-- partitions: {alice, bob} {dave}");
      expect((await labJson<Status>(["status", name])).peers.filter((p) => p.status === "running")).toHaveLength(3);
    });

    it("logs -f prints new lines as they come, and follows a peer through a restart", async () => {
      const name = await upLab("topologies/chain.yaml", "follow");
      const following = startLab(["logs", "dave", "-f", "--lab", name]);
      await following.waitFor(/dave listening on port 7000/);
      await lab(["send", "alice", "followed", "--lab", name]);
      expect((await lab(["restart", "dave", "--lab", name, "--grace", "1s"])).code).toBe(0);
      await following.waitFor(/dave listening on port 7000[^]*dave listening on port 7000[^]*dave ⇄ carol: link up/);
      following.signal("SIGINT");
      const followed = await following.done;
      expect(followed.code).toBe(0);
      expect(followed.stdout).toContain("dave ⇄ carol: link up");
      expect(followed.stdout).toContain("dave ← carol: followed (from alice, 3 hops)");
      expect(followed.stdout).toContain("dave exiting (SIGTERM, code 0)");
      expect(followed.stdout.match(/dave listening on port 7000/g)).toHaveLength(2);
    });

    it("runs two labs side by side without touching each other", async () => {
      const [one, two] = await Promise.all([
        upLab("topologies/chain.yaml", "one"),
        upLab("topologies/star.yaml", "two"),
      ]);
      const ambiguous = await lab(["send", "alice", "hi"]);
      if (started.length > 1) {
        expect(ambiguous.code).toBe(2);
        expect(ambiguous.stderr).toMatch(/several labs are running/);
        // How to name one, whether the command takes the lab as its argument (status NAME) or as --lab NAME.
        expect(ambiguous.stderr).toMatch(/lab status NAME\), else with --lab NAME/);
      }
      expect((await lab(["kill", "alice", "--lab", one!])).code).toBe(0);
      expect((await labJson<Status>(["status", two!])).overlay.partitions).toEqual([
        ["hub", "north", "east", "south", "west"],
      ]);
      const listed = await labJson<Array<{ name: string; running: number }>>(["ls"]);
      expect(listed.find((l) => l.name === one)).toMatchObject({ running: 3 });
      expect(listed.find((l) => l.name === two)).toMatchObject({ running: 5 });
      expect((await lab(["down", one!, "--results", "/tmp/p2plab-test-results"])).code).toBe(0);
      expect(await leftovers(one!)).toEqual([]);
      expect((await labJson<Status>(["status", two!])).peers.every((p) => p.status === "running")).toBe(true);
    });

    it("refuses a second lab of the same name, and --recreate replaces it", async () => {
      const name = await upLab("topologies/chain.yaml", "again");
      const file = await topologyCopy("topologies/chain.yaml", name);
      const again = await lab(["up", file]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`lab "${name}" is already running or being started`);
      const recreate = await lab(["up", file, "--recreate", "--results", "/tmp/p2plab-test-results"]);
      expect(recreate.code, recreate.stderr).toBe(0);
      expect(recreate.stderr).toMatch(/the replaced lab's transcripts saved to /);
    });

    it("brings the 32-peer generated lab up and wired", async () => {
      const name = await upLab("topologies/big.yaml", "big");
      const status = await labJson<Status>(["status", name]);
      expect(status.peers).toHaveLength(32);
      expect(status.peers.every((p) => p.status === "running")).toBe(true);
      expect(status.overlay.partitions).toHaveLength(1);
    });

    it("a peer image the engine does not have, named by the topology: bad input (exit 2) naming the peer and the image", async () => {
      const name = uniqueLabName("noimg");
      started.push(name);
      const missing = (text: string): string =>
        text.replace("defaults:\n", "defaults:\n  image: p2plab/no-such-image:1\n");
      const run = await lab(["up", await topologyCopy("topologies/chain.yaml", name, missing)]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(
        /^lab: peer [a-z]+'s image p2plab\/no-such-image:1 is not on this engine\n  fix: pull or build it, /m,
      );
    });

    it("rejects a bad topology before anything starts", async () => {
      const name = uniqueLabName("bad");
      const file = await topologyCopy("topologies/chain.yaml", name, (text) =>
        text.replace("connect: [bob]", "connect: [bobb]"),
      );
      const run = await lab(["up", file]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /:9:22 peers\.carol\.connect\[0\]: unknown peer "bobb" \(known: alice, bob, carol, dave\) — did you mean "bob"\?/,
      );
      expect(await leftovers(name)).toEqual([]);
    });

    it("links not up in time: says which, quotes the peers, and leaves the lab for inspection", async () => {
      const name = uniqueLabName("slow");
      started.push(name);
      const run = await lab(["up", await topologyCopy("topologies/chain.yaml", name), "--timeout", "1ms"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`lab: lab ${name} not wired after 1ms:`);
      expect(run.stderr).toMatch(/  (bob ── alice|carol ── bob|dave ── carol): not reported up by /);
      expect(run.stderr).toMatch(/last lines of (alice|bob|carol|dave):/);
      expect(run.stderr).toContain(`remove it with lab down ${name}`);
      expect((await leftovers(name)).length).toBeGreaterThan(0);
      expect((await lab(["down", name, "--results", "/tmp/p2plab-test-results"])).code).toBe(0);
    });

    it("Ctrl-C during up removes what it created", async () => {
      const name = uniqueLabName("intr");
      const run = await lab(["up", await topologyCopy("topologies/big.yaml", name)], {
        interrupt: { when: /started \d+\/32 peers/ },
      });
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toContain("what was created has been removed");
      expect(await leftovers(name)).toEqual([]);
    });
  },
);

describe("lab without an engine", () => {
  it("exits 3 with one line that says so and how to fix it", async () => {
    const run = await lab(["status"], { env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      "lab: no Docker engine answers at /nonexistent/docker.sock (ENOENT)\n  fix: start the engine (scripts/ensure-docker.sh, or `sudo systemctl start docker`), or point DOCKER_HOST at one\n",
    );
  });
});
