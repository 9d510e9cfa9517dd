import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEventLine, type PeerEvent } from "../../peer/src/events.js";
import { containerName, networkName } from "../../orchestrator/src/plan/labels.js";
import { packageRoot } from "../../orchestrator/src/paths.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { ensurePeerImage, type PeerImageOptions } from "../../orchestrator/src/runtime/peer-image.js";
import { StandInScript, thisHost } from "../../orchestrator/src/runtime/stand-in-base.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";

const skipReason = await engineOrSkipReason();
const runtime = new DockerRuntime();
const lab = uniqueLabName("img");
const labels = { "p2plab.lab": lab };
const network = networkName(lab);
/** This file's own peer image: other tests (and other checkouts) build p2plab/peer:<version> meanwhile. */
const tag = `p2plab/peer-test:${lab}`;
const imageOptions = (chosen: string): PeerImageOptions => ({
  tag,
  root: packageRoot(),
  standIn: new StandInScript(thisHost(packageRoot())),
  chosen,
  progress: () => {},
});

function docker(args: string[], input?: string): string {
  const run = spawnSync("docker", args, { encoding: "utf8", ...(input === undefined ? {} : { input }) });
  if (run.status !== 0) throw new Error(`docker ${args.join(" ")}: ${run.stderr}`);
  return run.stdout.trim();
}

/**
 * lab's base with one more label: an image ID of this file's own, as a new release of the base
 * would have. Built on lab's base as it is, the peer image would share its ID with an identical
 * build under another tag (p2plab/peer:<version>), which the engine then rightly keeps.
 */
async function baseOfOurOwn(name: string): Promise<string> {
  const base = `p2plab/base-test:${lab}-${name}`;
  docker(
    ["build", "-q", "-t", base, "--label", `p2plab.test=${lab}-${name}`, "-"],
    `FROM ${await runtime.chooseBaseImage()}\n`,
  );
  return base;
}

describe.skipIf(skipReason !== undefined)(
  `peer image on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    let image = "";
    const ids = new Map<string, string>();
    const events: PeerEvent[] = [];
    const following = new AbortController();

    async function startPeer(name: string, args: string[]): Promise<void> {
      const id = await runtime.createContainer({
        name: containerName(lab, name),
        image,
        cmd: ["--name", name, "--events", "json", "--heartbeat", "300ms", "--timeout", "1500ms", ...args],
        labels: { ...labels, "p2plab.peer": name, "p2plab.role": "peer" },
        network,
        aliases: [name],
        hostname: name,
        env: {},
      });
      ids.set(name, id);
      await runtime.start(id);
      void (async () => {
        for await (const line of runtime.logs(id, { follow: true, signal: following.signal })) {
          const event = parseEventLine(line.text);
          if (event) events.push(event);
        }
      })();
    }

    async function eventually(predicate: (e: PeerEvent) => boolean, what: string): Promise<PeerEvent> {
      for (let waited = 0; waited < 20_000; waited += 100) {
        const found = events.find(predicate);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`not seen within 20 s: ${what}; events:\n${events.map((e) => JSON.stringify(e)).join("\n")}`);
    }

    const bases: string[] = [];

    beforeAll(async () => {
      bases.push(await baseOfOurOwn("a"));
      image = await ensurePeerImage(runtime, imageOptions(bases[0]!));
      await runtime.createNetwork(network, labels);
    });

    afterAll(async () => {
      following.abort();
      for (const container of await runtime.listContainers(labels)) await runtime.remove(container.id);
      for (const net of await runtime.listNetworks(labels)) await runtime.removeNetwork(net.id);
      expect(await runtime.listContainers(labels)).toEqual([]);
      expect(await runtime.listNetworks(labels)).toEqual([]);
      expect(await runtime.removeImage(tag)).toBeUndefined();
      for (const base of bases) expect(await runtime.removeImage(base)).toBeUndefined();
    });

    it("a new base rebuilds the image and removes the one it replaced: nothing left dangling", async () => {
      bases.push(await baseOfOurOwn("b"));
      const first = (await runtime.inspectImage(tag))!.id;
      await ensurePeerImage(runtime, imageOptions(bases[1]!));
      const second = (await runtime.inspectImage(tag))!.id;
      expect(second).not.toBe(first);
      expect(await runtime.inspectImage(first)).toBeUndefined();
      const dangling = docker([
        "images",
        "--quiet",
        "--no-trunc",
        "--filter",
        "dangling=true",
        "--filter",
        "label=p2plab.build-hash",
      ]).split("\n");
      expect(dangling).not.toContain(first);
      expect(docker(["image", "inspect", "--format", "{{.Config.User}}", tag])).toBe("peer");
    });

    it("runs as the non-root user peer", () => {
      expect(docker(["image", "inspect", image, "--format", "{{.Config.User}}"])).toBe("peer");
    });

    it("answers `--help`", async () => {
      const id = await runtime.createContainer({
        name: containerName(lab, "help"),
        image,
        cmd: ["--help"],
        labels,
        network,
        aliases: [],
        hostname: "help",
        env: {},
      });
      await runtime.start(id);
      let info = await runtime.inspect(id);
      for (let i = 0; i < 100 && info.state !== "exited"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        info = await runtime.inspect(id);
      }
      expect(info).toMatchObject({ state: "exited", exitCode: 0 });
      const lines = [];
      for await (const line of runtime.logs(id, { follow: false })) lines.push(line.text);
      expect(lines[0]).toBe("usage: peer --name NAME [options]");
    });

    it("wires peers by name, carries a typed line, and reports a killed peer", async () => {
      await startPeer("carol", ["--connect", "bob:7000"]);
      await startPeer("bob", ["--connect", "alice:7000"]);
      await startPeer("alice", []);
      await eventually((e) => e.peer === "carol" && e.ev === "link-up" && e.neighbor === "bob", "carol ⇄ bob");
      await eventually((e) => e.peer === "alice" && e.ev === "link-up" && e.neighbor === "bob", "alice ⇄ bob");

      await runtime.writeLine(ids.get("alice")!, "hello from alice");
      await runtime.writeLine(ids.get("alice")!, "and again");
      const atCarol = await eventually(
        (e) => e.peer === "carol" && e.ev === "recv" && e.text === "and again",
        "carol receives",
      );
      expect(atCarol).toMatchObject({ origin: "alice", from: "bob", hops: 2 });
      expect(
        events.filter((e) => e.peer === "bob" && e.ev === "recv").map((e) => (e as { text: string }).text),
      ).toEqual(["hello from alice", "and again"]);

      await runtime.kill(ids.get("bob")!, "SIGKILL");
      await eventually(
        (e) => e.peer === "alice" && e.ev === "link-down" && e.neighbor === "bob",
        "alice sees bob down",
      );
      await eventually(
        (e) => e.peer === "carol" && e.ev === "link-down" && e.neighbor === "bob",
        "carol sees bob down",
      );
      expect(await runtime.inspect(ids.get("bob")!)).toMatchObject({ state: "exited", exitCode: 137 });
    });
  },
);
