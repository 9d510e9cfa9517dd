import { afterAll, describe, expect, it } from "vitest";
import type { UiActionResult, UiHello, UiStatus } from "../../orchestrator/src/ui/protocol.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, leftovers, startLab, topologyCopy, type RunningLab } from "../support/lab-cli.js";
import { EventStream, httpRequest } from "../support/sse.js";

const skipReason = await engineOrSkipReason();
const name = uniqueLabName("uiserver");

describe.skipIf(skipReason !== undefined)(
  `lab ui on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    /** The lab ui processes started, stopped here too when a test failed before stopping them. */
    const started: RunningLab[] = [];
    afterAll(async () => {
      for (const ui of started) ui.signal("SIGINT");
      await Promise.all(started.map((ui) => ui.done));
      await lab(["down", name, "--results", "/tmp/p2plab-test-results"]);
      expect(await leftovers(name)).toEqual([]);
    }, 60_000);

    it("serves a chain: hello, a kill through the API seen live, nothing done without the token; Ctrl-C leaves the lab running", async () => {
      const upped = await lab(["up", await topologyCopy("topologies/chain.yaml", name)]);
      expect(upped.code, upped.stderr).toBe(0);
      const served = startLab(["ui", name]);
      started.push(served);
      await served.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/\n/, 30_000);
      const url = served.printed().stdout.split("\n")[0]!;
      const own = new URL(url);

      const page = await httpRequest(url, { headers: { Host: own.host } });
      const token = /<meta name="p2plab-token" content="([^"]+)">/.exec(page.body)![1]!;
      const stream = await EventStream.open(`${url}events`);
      try {
        const hello = await stream.next<UiHello>("hello");
        expect(hello.peers).toEqual(["alice", "bob", "carol", "dave"]);
        expect(hello.status.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);

        const post = (headers: Record<string, string>) =>
          httpRequest(`${url}api/action`, {
            method: "POST",
            headers: { Host: own.host, Origin: own.origin, "Content-Type": "application/json", ...headers },
            body: JSON.stringify({ action: "kill", peer: "bob" }),
          });
        expect((await post({})).status).toBe(403);
        const killed = await post({ "X-P2plab-Token": token });
        expect(killed.status, killed.body).toBe(200);
        expect((JSON.parse(killed.body) as UiActionResult).ok).toBe(true);
        const seen = await stream.next<UiStatus>("status", (status) => status.overlay.states.bob === "killed", 5000);
        expect(seen.overlay.partitions).toEqual([["alice"], ["carol", "dave"]]);
      } finally {
        stream.close();
      }

      // Where it cannot listen: the error alone, no warning about listening there first.
      const nowhere = await lab(["ui", name, "--host", "foo.invalid"]);
      expect(nowhere.code).toBe(2);
      expect(nowhere.stderr).toContain("cannot listen on foo.invalid: no such address on this machine");
      expect(nowhere.stderr).not.toContain("warning");
      // IPv6 loopback written as in a URL, brackets and all: served there, no warning.
      const six = startLab(["ui", name, "--host", "[::1]"]);
      started.push(six);
      await six.waitFor(/^http:\/\/\[::1\]:\d+\/\n/, 30_000);
      six.signal("SIGINT");
      const sixEnded = await six.done;
      expect(sixEnded.code, sixEnded.stderr).toBe(0);
      expect(sixEnded.stderr).not.toContain("warning");

      served.signal("SIGINT");
      const ended = await served.done;
      expect(ended.code, ended.stderr).toBe(0);
      const status = await labJson<{ peers: Array<{ name: string; status: string }> }>(["status", name]);
      expect(status.peers.map((peer) => peer.status)).toEqual(["running", "killed", "running", "running"]);
    }, 60_000);
  },
);
