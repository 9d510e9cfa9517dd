import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { matchTcpLinks, parseTcpTable } from "../../orchestrator/src/adapter/tcp-table.js";
import { helperLabels } from "../../orchestrator/src/plan/labels.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { TcpTablesUnreadableError, type ContainerInfo } from "../../orchestrator/src/runtime/runtime.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, leftovers, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";
const run = promisify(execFile);

/** A chain of three reference peers: bob dials alice, carol dials bob. */
const THREE = (text: string): string =>
  text.replace(
    /^peers:[\s\S]*?^scenario:[\s\S]*$/m,
    "peers:\n  alice: {}\n  bob: { connect: [alice] }\n  carol: { connect: [bob] }\n",
  );

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
  },
);
