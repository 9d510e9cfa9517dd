import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, leftovers, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";
const PROBE = readFileSync(new URL("../support/net-probe.cjs", import.meta.url), "utf8");
const CONNECT_MS = 2000;
const run = promisify(execFile);

interface Status {
  peers: Array<{ name: string; status: string; neighbors: string[] }>;
  overlay: { partitions: string[][]; cut: unknown[] };
  network: { partition?: string[][] };
}

/** A TCP connect from one peer's container to another's listening port: "connected", "timeout" or the error's code. */
async function connect(lab: string, from: string, to: string): Promise<string> {
  const { stdout } = await run(
    "docker",
    ["exec", `p2plab-${lab}_${from}`, "node", "-e", PROBE, "connect", to, String(CONNECT_MS)],
    { timeout: 60_000 },
  );
  return stdout.trim();
}

/** The host's own iptables rules that name p2plab: lab never puts any there. */
async function hostRules(): Promise<string[]> {
  const saved = await Promise.all(
    ["iptables-save", "iptables-legacy-save"].map((command) =>
      run(command).then(
        ({ stdout }) => stdout,
        () => "",
      ),
    ),
  );
  return saved
    .join("\n")
    .split("\n")
    .filter((line) => line.includes("p2plab"));
}

describe.skipIf(skipReason !== undefined)(
  `network faults through lab on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const names: string[] = [];
    afterAll(async () => {
      for (const name of names) await lab(["down", name, "--results", RESULTS]);
      for (const name of names) expect(await leftovers(name)).toEqual([]);
    });

    it("partition and heal on the chain: the peers' own events, a direct TCP probe, status, and nothing left after down", async () => {
      const hostBefore = await hostRules();
      const name = uniqueLabName("net-partition");
      names.push(name);
      const up = await lab(["up", await topologyCopy("topologies/chain.yaml", name)]);
      expect(up.code, up.stderr).toBe(0);
      expect(await connect(name, "bob", "carol:7000")).toBe("connected");

      const split = await lab(["partition", "alice,bob", "/", "carol,dave", "--lab", name]);
      expect(split.code, split.stderr).toBe(0);
      expect(split.stdout).toContain("partitioned the network: {alice, bob} / {carol, dave}");
      expect(await connect(name, "bob", "carol:7000")).toBe("timeout");
      expect(await connect(name, "dave", "carol:7000")).toBe("connected");
      const status = await labJson<Status>(["status", name]);
      expect(status.overlay.partitions).toEqual([
        ["alice", "bob"],
        ["carol", "dave"],
      ]);
      // The peers learn of it only from silence: their heartbeat times out, no read fails (no eof, no reset).
      const timedOut = await waitForLinkDown(name, "carol", "bob");
      expect(timedOut).toBe("timeout");

      const heal = await lab(["heal", "--lab", name]);
      expect(heal.code, heal.stderr).toBe(0);
      expect(heal.stdout).toContain("network faults in force: none");
      expect(await connect(name, "bob", "carol:7000")).toBe("connected");

      const down = await lab(["down", name, "--results", RESULTS]);
      expect(down.code, down.stderr).toBe(0);
      expect(await leftovers(name)).toEqual([]);
      expect(await hostRules()).toEqual(hostBefore);
    });

    it("a one-way cut: bob's packets to carol are dropped, so bob's connect to carol goes unanswered; link --one-way restores it", async () => {
      const name = uniqueLabName("net-oneway");
      names.push(name);
      expect((await lab(["up", await topologyCopy("topologies/chain.yaml", name)])).code).toBe(0);
      const cut = await lab(["cut", "bob", "carol", "--one-way", "--lab", name]);
      expect(cut.code, cut.stderr).toBe(0);
      expect(cut.stdout).toContain("cut bob → carol (one way)");
      expect(await connect(name, "bob", "carol:7000")).toBe("timeout");
      const restored = await lab(["link", "bob", "carol", "--one-way", "--lab", name]);
      expect(restored.stdout).toContain("network faults in force: none");
      expect(await connect(name, "bob", "carol:7000")).toBe("connected");
    });

    it("refuses an unknown peer, and delays the reference peer by the means this kernel has (netem, or inside the peer)", async () => {
      const name = uniqueLabName("net-refuse");
      names.push(name);
      expect((await lab(["up", await topologyCopy("topologies/chain.yaml", name)])).code).toBe(0);
      const unknown = await lab(["loss", "bobb", "10", "--lab", name]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown peer "bobb"');
      const delay = await lab(["delay", "bob", "200ms", "--lab", name]);
      expect(delay.code, delay.stderr).toBe(0);
      expect(delay.stdout).toMatch(
        /bob's packets are held 200ms \((netem|inside the peer: this kernel has no netem)\)/,
      );
    });

    it.each(["partition", "paused-vs-killed", "lossy"])("the %s experiment passes", async (experiment) => {
      const name = uniqueLabName(`net-${experiment}`.slice(0, 16));
      names.push(name);
      const result = await lab([
        "run",
        await topologyCopy(`topologies/${experiment}.yaml`, name),
        "--results",
        RESULTS,
      ]);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(await leftovers(name)).toEqual([]);
    });
  },
);

/** The reason of a peer's first link-down for a neighbour, read from `lab logs --json` until it comes (10 s at most). */
async function waitForLinkDown(name: string, peer: string, neighbor: string): Promise<string> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const logs = await lab(["logs", peer, "--lab", name, "--json"]);
    for (const line of logs.stdout.split("\n").filter(Boolean)) {
      const event = JSON.parse(line) as { ev?: string; neighbor?: string; reason?: string };
      if (event.ev === "link-down" && event.neighbor === neighbor) return event.reason!;
    }
  }
  throw new Error(`${peer} reported no link-down for ${neighbor} within 10 s`);
}
