import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvironmentError } from "../../orchestrator/src/errors.js";
import { waitFor } from "../../orchestrator/src/wait.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import { appliedListing } from "../../orchestrator/src/runtime/network-script.js";
import { NoNetworkNamespaceError, type NetworkRules } from "../../orchestrator/src/runtime/runtime.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";

const skipReason = await engineOrSkipReason();
const runtime = new DockerRuntime();
const lab = uniqueLabName("netengine");
/** A label of this file's own (not p2plab.lab): no `lab` command run meanwhile takes these containers for a lab. */
const labels = { "p2plab.test": lab };
const helper = { ...labels, "p2plab.role": "helper" };
const network = `p2plab-test-${lab}`;
const PROBE = readFileSync(new URL("../support/net-probe.cjs", import.meta.url), "utf8");
/** Long enough for a SYN answered on a shared 2-core machine, far shorter than the kernel's own retries. */
const CONNECT_MS = 2000;
const run = promisify(execFile);
/** Asked once, before the tests are collected: a test that needs netem is skipped by name when there is none. */
const netem = skipReason === undefined ? await runtime.netemAvailable(helper) : false;
if (skipReason === undefined && !netem)
  console.warn("network tests: this kernel has no netem (sch_netem): the delay test cannot run here");

function rules(set: Partial<NetworkRules> = {}): NetworkRules {
  return { lab, dropFrom: [], lossFrom: [], delay: [], ...set };
}

/** One probe run in the container (net-probe.cjs), its one line of output. */
async function probe(id: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("docker", ["exec", id, "node", "-e", PROBE, ...args], { timeout: 60_000 });
  return stdout.trim();
}

/** `count` UDP datagrams tagged `tag` from the container to `host`; how many sends its own namespace refused. */
async function udp(id: string, host: string, tag: string, count: number): Promise<{ sent: number; refused: number }> {
  return JSON.parse(await probe(id, "udp", host, tag, String(count))) as { sent: number; refused: number };
}

/** A shell command in a throwaway container joining `mode`'s network namespace as root with NET_ADMIN: what it prints. */
function inNamespace(mode: string, command: string): string {
  const args = ["run", "--rm", "--network", mode, "--cap-add", "NET_ADMIN", "--user", "0"];
  const done = spawnSync(
    "docker",
    [...args, "--label", `p2plab.test=${lab}`, "--entrypoint", "sh", image, "-c", command],
    { encoding: "utf8" },
  );
  if (done.status !== 0) throw new Error(`docker run in ${mode}: ${done.stderr}`);
  return done.stdout;
}

/** Every line naming p2plab in a namespace's iptables, both backends. */
function p2plabLines(mode: string): string[] {
  return inNamespace(mode, "iptables-nft-save; iptables-legacy-save")
    .split("\n")
    .filter((line) => line.includes("p2plab"));
}

/** The datagrams of `tag` the container received, once the count stops moving. */
async function settledCount(id: string, tag: string): Promise<number> {
  let last = -1;
  return waitFor(
    async () => {
      const now = Number(await probe(id, "count", tag));
      const settled = now === last ? now : undefined;
      last = now;
      return settled;
    },
    { what: `the count of ${tag} settling`, intervalMs: 200, timeoutMs: 20_000, signal: new AbortController().signal },
  );
}

let image = "";

describe.skipIf(skipReason !== undefined)(
  `network rules in a container's namespace, on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const ids: string[] = [];
    let hostBefore: string[] = [];
    const box: Record<"a" | "b" | "bare", { id: string; address: string }> = {
      a: { id: "", address: "" },
      b: { id: "", address: "" },
      bare: { id: "", address: "" },
    };

    /** A container running the probe server on the test's network, once it listens. */
    async function start(name: keyof typeof box, from: string): Promise<void> {
      const id = await runtime.createContainer({
        name: `${network}_${name}`,
        image: from,
        entrypoint: ["node", "-e", PROBE],
        cmd: ["serve"],
        labels,
        network,
        aliases: [name],
        hostname: name,
        env: {},
      });
      ids.push(id);
      await runtime.start(id);
      const signal = AbortSignal.timeout(30_000);
      for await (const line of runtime.logs(id, { follow: true, signal })) if (line.text === "ready") break;
      box[name] = { id, address: (await runtime.inspect(id)).address! };
    }

    beforeAll(async () => {
      image = await runtime.ensurePeerImage(() => {});
      hostBefore = p2plabLines("host");
      await runtime.createNetwork(network, labels);
      await start("a", image);
      await start("b", image);
      // The base the peer image is built on: node, and no iptables nor iproute2 (checked below).
      await start("bare", await runtime.chooseBaseImage());
    });

    afterAll(async () => {
      for (const id of ids) await runtime.remove(id);
      for (const { id } of await runtime.listNetworks(labels)) await runtime.removeNetwork(id);
    });

    it("a partition drops silently both ways: connects time out (not refused) until the empty set; lo untouched", async () => {
      const { a, b } = box;
      expect(await probe(a.id, "connect", b.address, String(CONNECT_MS))).toBe("connected");
      const cut = rules({ dropFrom: [b.address] });
      // Exactly the lines the rules make: the listing is the namespace's own iptables-save.
      expect(await runtime.applyNetworkRules(a.id, cut, helper)).toEqual(appliedListing(cut, "eth0"));
      await runtime.applyNetworkRules(b.id, rules({ dropFrom: [a.address] }), helper);
      expect(await probe(a.id, "connect", b.address, String(CONNECT_MS))).toBe("timeout");
      expect(await probe(b.id, "connect", a.address, String(CONNECT_MS))).toBe("timeout");
      expect(await probe(a.id, "connect", "127.0.0.1", String(CONNECT_MS))).toBe("connected");
      expect(await runtime.applyNetworkRules(a.id, rules(), helper)).toEqual({ iptables: [], qdiscs: [] });
      await runtime.applyNetworkRules(b.id, rules(), helper);
      expect(await probe(a.id, "connect", b.address, String(CONNECT_MS))).toBe("connected");
      expect(await probe(b.id, "connect", a.address, String(CONNECT_MS))).toBe("connected");
    });

    it("one way: with a's packets dropped as they arrive at b, b's datagrams reach a, a's never reach b, and a is not told", async () => {
      const { a, b } = box;
      await runtime.applyNetworkRules(b.id, rules({ dropFrom: [a.address] }), helper);
      // Silent for every protocol: a's sends all succeed (a drop in a's own OUTPUT would fail them with EPERM).
      expect(await udp(a.id, b.address, "oneway", 50)).toEqual({ sent: 50, refused: 0 });
      expect(await udp(b.id, a.address, "oneway", 50)).toEqual({ sent: 50, refused: 0 });
      expect(await settledCount(a.id, "oneway")).toBe(50);
      expect(await settledCount(b.id, "oneway")).toBe(0);
      // TCP needs both ways: the handshake fails whichever way is cut.
      expect(await probe(a.id, "connect", b.address, String(CONNECT_MS))).toBe("timeout");
      expect(await probe(b.id, "connect", a.address, String(CONNECT_MS))).toBe("timeout");
      await runtime.applyNetworkRules(b.id, rules(), helper);
    });

    it("loss: 20% of a's datagrams are dropped at random as they arrive at b, none without the rule, a told nothing", async () => {
      const { a, b } = box;
      const SENT = 2000;
      expect(await udp(a.id, b.address, "lossless", SENT)).toEqual({ sent: SENT, refused: 0 });
      expect(await settledCount(b.id, "lossless")).toBe(SENT);
      await runtime.applyNetworkRules(b.id, rules({ lossFrom: [{ percent: 20, from: a.address }] }), helper);
      expect(await udp(a.id, b.address, "lossy", SENT)).toEqual({ sent: SENT, refused: 0 });
      const received = await settledCount(b.id, "lossy");
      const dropped = (100 * (SENT - received)) / SENT;
      console.log(`loss asked 20%: ${SENT - received} of ${SENT} datagrams dropped (${dropped.toFixed(1)}%)`);
      expect(dropped).toBeGreaterThan(15);
      expect(dropped).toBeLessThan(25);
      await runtime.applyNetworkRules(b.id, rules(), helper);
    });

    it("rate: 500 KB over TCP through a 2 mbit tbf goes at 2 mbit/s ± 35%", async () => {
      const { a, b } = box;
      const applied = await runtime.applyNetworkRules(a.id, rules({ rateKbit: 2000 }), helper);
      expect(applied.qdiscs).toEqual([expect.stringMatching(/^qdisc tbf 1: root .*rate 2Mbit/)]);
      const { bytes, ms } = JSON.parse(await probe(a.id, "sink", b.address, "500000")) as { bytes: number; ms: number };
      expect(bytes).toBe(500_000);
      const kbit = (bytes * 8) / ms;
      console.log(`rate asked 2000 kbit/s: 500 KB in ${ms} ms = ${kbit.toFixed(0)} kbit/s`);
      expect(kbit).toBeGreaterThan(2000 * 0.65);
      expect(kbit).toBeLessThan(2000 * 1.35);
      await runtime.applyNetworkRules(a.id, rules(), helper);
    });

    it("applies while the container is paused; a stopped one has no namespace and says so", async () => {
      const { a, b } = box;
      const cut = rules({ dropFrom: [b.address] });
      await runtime.pause(a.id);
      try {
        expect(await runtime.applyNetworkRules(a.id, cut, helper)).toEqual(appliedListing(cut, "eth0"));
      } finally {
        await runtime.unpause(a.id);
      }
      expect(await probe(b.id, "connect", a.address, String(CONNECT_MS))).toBe("timeout");
      await runtime.applyNetworkRules(a.id, rules(), helper);

      const stopped = await runtime.createContainer({
        name: `${network}_stopped`,
        image,
        cmd: ["--help"],
        labels,
        network,
        aliases: [],
        hostname: "stopped",
        env: {},
      });
      ids.push(stopped);
      await runtime.start(stopped);
      await waitFor(async () => ((await runtime.inspect(stopped)).state === "exited" ? true : undefined), {
        what: "the --help container exiting",
        intervalMs: 100,
        timeoutMs: 30_000,
        signal: new AbortController().signal,
      });
      const refused = await runtime.applyNetworkRules(stopped, cut, helper).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(NoNetworkNamespaceError);
      expect((refused as NoNetworkNamespaceError).message).toBe(
        `${network}_stopped is exited: a container that does not run has no network namespace to carry network rules`,
      );
    });

    it("a container whose image has no iptables nor iproute2 is partitioned all the same", async () => {
      const { b, bare } = box;
      expect((await run("docker", ["exec", bare.id, "sh", "-c", "command -v iptables tc ip; true"])).stdout).toBe("");
      expect(await probe(b.id, "connect", bare.address, String(CONNECT_MS))).toBe("connected");
      await runtime.applyNetworkRules(bare.id, rules({ dropFrom: [b.address] }), helper);
      expect(await probe(b.id, "connect", bare.address, String(CONNECT_MS))).toBe("timeout");
      await runtime.applyNetworkRules(bare.id, rules(), helper);
      expect(await probe(b.id, "connect", bare.address, String(CONNECT_MS))).toBe("connected");
    });

    it.skipIf(!netem)(
      `netem: a 100 ms delay on a's packets to b adds 100 ms to a TCP round trip${netem ? "" : " (skipped: this kernel has no sch_netem)"}`,
      async () => {
        const { a, b } = box;
        const before = Number(await probe(a.id, "rtt", b.address, "9"));
        await runtime.applyNetworkRules(a.id, rules({ delay: [{ ms: 100, jitterMs: 0, to: b.address }] }), helper);
        const delayed = Number(await probe(a.id, "rtt", b.address, "9"));
        await runtime.applyNetworkRules(a.id, rules(), helper);
        expect(delayed - before).toBeGreaterThan(90);
        expect(delayed - before).toBeLessThan(150);
      },
    );

    it.skipIf(netem)(
      "without netem, a delay fails as an EnvironmentError quoting the tc command and its error",
      async () => {
        const { a } = box;
        const failed = await runtime
          .applyNetworkRules(a.id, rules({ delay: [{ ms: 100, jitterMs: 0 }] }), helper)
          .catch((error: unknown) => error);
        expect(failed).toBeInstanceOf(EnvironmentError);
        expect((failed as EnvironmentError).message).toBe(
          `applying network rules in the namespace of ${network}_a failed (exit 2): tc qdisc add dev eth0 root handle 2: netem delay 100ms\n    Error: Specified qdisc kind is unknown.`,
        );
        expect((failed as EnvironmentError).hint).toContain("netem for delay");
      },
    );

    it("idempotent: one set applied ten times lists the same rules each time", async () => {
      const { a, b } = box;
      const set = rules({ dropFrom: [b.address], lossFrom: [{ percent: 5, from: b.address }], rateKbit: 10_000 });
      const took: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = Date.now();
        const applied = await runtime.applyNetworkRules(a.id, set, helper);
        took.push(Date.now() - started);
        expect(applied.iptables).toEqual(appliedListing(set, "eth0").iptables);
        expect(applied.qdiscs).toEqual([expect.stringMatching(/^qdisc tbf 1: root .*rate 10Mbit/)]);
      }
      took.sort((x, y) => x - y);
      console.log(`applyNetworkRules: median ${took[5]} ms of 10 (${took[0]}–${took[9]} ms)`);
    });

    it("the empty set leaves no rule in the namespace and the default qdisc; the host never gains a rule; no helper is left", async () => {
      for (const { id } of Object.values(box)) await runtime.applyNetworkRules(id, rules(), helper);
      for (const { id } of Object.values(box)) {
        expect(p2plabLines(`container:${id}`)).toEqual([]);
        expect(inNamespace(`container:${id}`, "tc qdisc show dev eth0")).toMatch(/^qdisc noqueue 0: root/);
      }
      expect(p2plabLines("host")).toEqual(hostBefore);
      // netem was probed once, before the tests: the answer is kept, no helper runs again.
      expect(runtime.netemAvailable(helper)).toBe(runtime.netemAvailable(helper));
      expect(await runtime.netemAvailable(helper)).toBe(netem);
      expect(await runtime.listContainers(helper)).toEqual([]);
    });
  },
);
