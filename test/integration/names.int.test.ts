import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, leftovers } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";

/** A topology file of lone peers (no links: up is done once each one listens). */
async function lonePeers(name: string, peers: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "p2plab-test-"));
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, [`name: ${name}`, "description: lone peers", "peers:", ...peers.map((peer) => `  ${peer}: {}`), ""].join("\n"));
  return file;
}

describe.skipIf(skipReason !== undefined)(`names and labels on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const started: string[] = [];
  afterAll(async () => {
    for (const name of started) await lab(["down", name, "--results", RESULTS]);
    for (const name of started) expect(await leftovers(name)).toEqual([]);
  });

  it("labs net (peer a-b) and net-a (peer b) come up side by side", async () => {
    const net = uniqueLabName("net");
    const netA = `${net}-a`;
    started.push(net, netA);
    const first = await lab(["up", await lonePeers(net, ["a-b"])]);
    expect(first.code, first.stderr).toBe(0);
    const second = await lab(["up", await lonePeers(netA, ["b"])]);
    expect(second.code, second.stderr).toBe(0);
    for (const name of [net, netA]) {
      const down = await lab(["down", name, "--results", RESULTS]);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toContain(`lab ${name} removed: 2 containers, 1 network`);
      expect(await leftovers(name)).toEqual([]);
    }
  });
});
