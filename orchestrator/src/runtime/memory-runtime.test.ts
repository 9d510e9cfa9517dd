import { afterEach, describe, expect, it } from "vitest";
import { parseEventLine, type PeerEvent } from "../../../peer/src/events.js";
import { MemoryLabs } from "../../../test/support/memory-lab.js";
import { LabError } from "../errors.js";
import { MEMORY_PEER_IMAGE, type MemoryRuntime } from "./memory-runtime.js";
import { parseTcpTable } from "../adapter/tcp-table.js";
import {
  NameInUseError,
  NoNetworkNamespaceError,
  TcpTablesUnreadableError,
  type ContainerEvent,
  type ContainerSpec,
  type LogLine,
} from "./runtime.js";

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

const LABELS = { "p2plab.lab": "t" };

function peerSpec(name: string, args: string[] = []): ContainerSpec {
  return {
    name: `p2plab-t_${name}`,
    image: MEMORY_PEER_IMAGE,
    cmd: ["--name", name, "--port", "7000", "--events", "json", "--heartbeat", "200ms", "--timeout", "800ms", ...args],
    labels: { ...LABELS, "p2plab.peer": name },
    network: "p2plab-t",
    aliases: [name],
    hostname: name,
    env: {},
  };
}

async function withNetwork(): Promise<MemoryRuntime> {
  const runtime = labs.runtime();
  await runtime.createNetwork("p2plab-t", LABELS);
  return runtime;
}

/** alice and bob on one network, bob dialled alice, both ends report the link up. */
async function linkedPair() {
  const runtime = await withNetwork();
  const alice = await startPeer(runtime, "alice");
  const bob = await startPeer(runtime, "bob", ["--connect", "alice:7000"]);
  await eventOf(runtime, alice, (e) => e.ev === "link-up");
  await eventOf(runtime, bob, (e) => e.ev === "link-up");
  return { runtime, alice, bob };
}

async function startPeer(runtime: MemoryRuntime, name: string, args: string[] = []): Promise<string> {
  const id = await runtime.createContainer(peerSpec(name, args));
  await runtime.start(id);
  return id;
}

async function lines(runtime: MemoryRuntime, id: string): Promise<LogLine[]> {
  const read: LogLine[] = [];
  for await (const line of runtime.logs(id, { follow: false })) read.push(line);
  return read;
}

/** The first event of the container's log (past or to come) that matches, within 5 s. */
async function eventOf(runtime: MemoryRuntime, id: string, match: (event: PeerEvent) => boolean): Promise<PeerEvent> {
  const signal = AbortSignal.timeout(5000);
  for await (const line of runtime.logs(id, { follow: true, signal })) {
    const event = parseEventLine(line.text);
    if (event && match(event)) return event;
  }
  throw new Error(
    `no matching event of ${id} within 5 s:\n${(await lines(runtime, id)).map((line) => line.text).join("\n")}`,
  );
}

async function eventsOf(runtime: MemoryRuntime, id: string): Promise<PeerEvent[]> {
  return (await lines(runtime, id)).flatMap((line) => parseEventLine(line.text) ?? []);
}

async function engineEvents(runtime: MemoryRuntime, since: string): Promise<Array<Omit<ContainerEvent, "ts" | "id">>> {
  const seen = [];
  for await (const { ts: _ts, id: _id, ...event } of runtime.containerEvents(LABELS, {
    since,
    until: new Date().toISOString(),
  }))
    seen.push(event);
  return seen;
}

describe("MemoryRuntime", () => {
  it("container names are claims: of two creates of one name at once, one gets NameInUseError", async () => {
    const runtime = labs.runtime();
    const spec = { ...peerSpec("alice"), network: undefined };
    const outcomes = await Promise.allSettled([runtime.createContainer(spec), runtime.createContainer(spec)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
    const lost = outcomes.find((outcome) => outcome.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(NameInUseError);
    expect(await runtime.listContainers(LABELS)).toHaveLength(1);
  });

  it("peers reach each other by name, wire on both ends whatever the start order, and carry typed lines", async () => {
    const runtime = await withNetwork();
    // bob dials alice before alice exists: the dial waits until the name is served.
    const bob = await startPeer(runtime, "bob", ["--connect", "alice:7000"]);
    const alice = await startPeer(runtime, "alice");
    expect(await eventOf(runtime, alice, (e) => e.ev === "link-up")).toMatchObject({ neighbor: "bob", dir: "in" });
    expect(await eventOf(runtime, bob, (e) => e.ev === "link-up")).toMatchObject({ neighbor: "alice", dir: "out" });
    await runtime.writeLine(bob, "/send r1 hello");
    expect(await eventOf(runtime, alice, (e) => e.ev === "recv")).toMatchObject({
      from: "bob",
      text: "hello",
      hops: 1,
    });
    expect((await eventsOf(runtime, alice)).find((e) => e.ev === "listening")).toMatchObject({ port: 7000 });
  });

  it("kill: exit 137 at once, the neighbours see the link close, the engine records start and die", async () => {
    const since = new Date().toISOString();
    const runtime = await withNetwork();
    const alice = await startPeer(runtime, "alice");
    const bob = await startPeer(runtime, "bob", ["--connect", "alice:7000"]);
    await eventOf(runtime, alice, (e) => e.ev === "link-up");
    await runtime.kill(bob, "SIGKILL");
    const info = await runtime.inspect(bob);
    expect(info).toMatchObject({ state: "exited", exitCode: 137 });
    expect(info.finishedAt >= info.startedAt).toBe(true);
    // A closed socket: "reset" when the kernel still held bytes the dead process had not read.
    expect(await eventOf(runtime, alice, (e) => e.ev === "link-down")).toMatchObject({
      neighbor: "bob",
      reason: expect.stringMatching(/^(eof|reset)$/),
    });
    // A killed process prints nothing more: no exit event.
    expect((await eventsOf(runtime, bob)).map((e) => e.ev)).not.toContain("exit");
    expect(await engineEvents(runtime, since)).toEqual([
      { change: "start" },
      { change: "start" },
      { change: "die", exitCode: 137 },
    ]);
  });

  it("stop: the peer handles SIGTERM and exits 0 with its exit event; a start is a new process in the same log", async () => {
    const runtime = await withNetwork();
    const alice = await startPeer(runtime, "alice");
    await runtime.stop(alice, 5);
    expect(await runtime.inspect(alice)).toMatchObject({ state: "exited", exitCode: 0 });
    expect((await eventsOf(runtime, alice)).at(-1)).toMatchObject({ ev: "exit", code: 0, reason: "SIGTERM" });
    await runtime.start(alice);
    expect(await runtime.inspect(alice)).toMatchObject({ state: "running" });
    expect((await eventsOf(runtime, alice)).map((e) => e.ev)).toEqual(["listening", "exit", "listening"]);
  });

  it("stop of a process that ignores SIGTERM (the journal's cat) kills it when the grace period ends", async () => {
    const runtime = labs.runtime();
    const journal = await runtime.createContainer({
      ...peerSpec("journal"),
      entrypoint: ["cat"],
      cmd: [],
      network: undefined,
    });
    await runtime.start(journal);
    await runtime.writeLine(journal, '{"action":"up"}');
    expect((await lines(runtime, journal)).map((line) => line.text)).toEqual(['{"action":"up"}']);
    await runtime.stop(journal, 0);
    expect(await runtime.inspect(journal)).toMatchObject({ state: "exited", exitCode: 137 });
  });

  it("pause freezes a peer: its neighbours time out, its stdin and output wait until it is unpaused", async () => {
    const { runtime, alice, bob } = await linkedPair();
    await runtime.pause(bob);
    expect(await runtime.inspect(bob)).toMatchObject({ state: "paused" });
    await runtime.writeLine(bob, "/peers");
    expect(await eventOf(runtime, alice, (e) => e.ev === "link-down")).toMatchObject({
      neighbor: "bob",
      reason: "timeout",
    });
    const printedWhileFrozen = (await eventsOf(runtime, bob)).map((e) => e.ev);
    expect(printedWhileFrozen).toEqual(["listening", "link-up"]);
    await runtime.unpause(bob);
    expect(await eventOf(runtime, bob, (e) => e.ev === "peers")).toBeDefined();
    expect(await eventOf(runtime, bob, (e) => e.ev === "link-down")).toMatchObject({ neighbor: "alice" });
  });

  it("network rules drop silently both ways: the link times out at both ends, a dial waits, the empty set heals", async () => {
    const { runtime, alice, bob } = await linkedPair();
    const [a, b] = [(await runtime.inspect(alice)).address!, (await runtime.inspect(bob)).address!];
    const none = { lab: "t", dropFrom: [], lossFrom: [], delay: [] };
    expect(await runtime.applyNetworkRules(alice, { ...none, dropFrom: [b] }, {})).toEqual({
      iptables: [
        '-A INPUT -i eth0 -m comment --comment "p2plab:t" -j p2plab-in',
        `-A p2plab-in -s ${b}/32 -m comment --comment "p2plab:t" -j DROP`,
      ],
      qdiscs: [],
    });
    await runtime.applyNetworkRules(bob, { ...none, dropFrom: [a] }, {});
    // Silent: no EOF, no reset; each end's heartbeat deadline is what notices.
    expect(await eventOf(runtime, alice, (e) => e.ev === "link-down")).toMatchObject({
      neighbor: "bob",
      reason: "timeout",
    });
    expect(await eventOf(runtime, bob, (e) => e.ev === "link-down")).toMatchObject({
      neighbor: "alice",
      reason: "timeout",
    });
    // A dial across the partition gets no answer; bob retries it within its connect window.
    await runtime.restart(bob, 5);
    expect(await eventOf(runtime, bob, (e) => e.ev === "handshake-failed")).toMatchObject({
      reason: "handshake timeout",
    });
    expect(await runtime.applyNetworkRules(alice, none, {})).toEqual({ iptables: [], qdiscs: [] });
    await runtime.applyNetworkRules(bob, none, {});
    let linksUp = 0;
    expect(await eventOf(runtime, alice, (e) => e.ev === "link-up" && ++linksUp === 2)).toMatchObject({
      neighbor: "bob",
      dir: "in",
    });
  });

  it("a one-way drop: what the other end sends arrives, what this end sends does not, only that end times out", async () => {
    const { runtime, alice, bob } = await linkedPair();
    const a = (await runtime.inspect(alice)).address!;
    await runtime.applyNetworkRules(bob, { lab: "t", dropFrom: [a], lossFrom: [], delay: [] }, {});
    await runtime.writeLine(alice, "/send r1 unheard");
    await runtime.writeLine(bob, "/send r2 heard");
    expect(await eventOf(runtime, alice, (e) => e.ev === "recv")).toMatchObject({ from: "bob", text: "heard" });
    expect(await eventOf(runtime, bob, (e) => e.ev === "link-down")).toMatchObject({
      neighbor: "alice",
      reason: "timeout",
    });
    // bob closes its end; its FIN goes the way that is not dropped.
    expect(await eventOf(runtime, alice, (e) => e.ev === "link-down")).toMatchObject({
      neighbor: "bob",
      reason: "eof",
    });
    expect((await eventsOf(runtime, bob)).map((e) => e.ev)).not.toContain("recv");
  });

  it("network rules: applied while paused; a stopped container has no namespace, and its rules ended with it", async () => {
    const { runtime, alice, bob } = await linkedPair();
    const b = (await runtime.inspect(bob)).address!;
    const cut = { lab: "t", dropFrom: [b], lossFrom: [], delay: [] };
    await runtime.pause(alice);
    expect((await runtime.applyNetworkRules(alice, cut, {})).iptables).toHaveLength(2);
    await runtime.unpause(alice);
    await runtime.stop(alice, 5);
    const refused = await runtime.applyNetworkRules(alice, cut, {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NoNetworkNamespaceError);
    expect(refused).toMatchObject({
      message:
        "p2plab-t_alice is exited: a container that does not run has no network namespace to carry network rules",
      exitCode: 3,
    });
    await runtime.start(alice);
    await runtime.restart(bob, 5);
    let linksUp = 0;
    expect(await eventOf(runtime, bob, (e) => e.ev === "link-up" && ++linksUp === 2)).toMatchObject({
      neighbor: "alice",
    });
  });

  it("loss, delay and rate are listed back, not done; there is no netem", async () => {
    const runtime = await withNetwork();
    const alice = await startPeer(runtime, "alice");
    expect(await runtime.netemAvailable({})).toBe(false);
    const listed = await runtime.applyNetworkRules(
      alice,
      {
        lab: "t",
        dropFrom: [],
        lossFrom: [{ percent: 20, from: "10.88.0.9" }],
        delay: [{ ms: 100, jitterMs: 0 }],
        rateKbit: 256,
      },
      {},
    );
    expect(listed).toEqual({
      iptables: [
        '-A INPUT -i eth0 -m comment --comment "p2plab:t" -j p2plab-in',
        '-A p2plab-in -s 10.88.0.9/32 -m statistic --mode random --probability 0.20000000019 -m comment --comment "p2plab:t" -j DROP',
      ],
      qdiscs: ["qdisc tbf 1: root rate 256kbit burst 3028b limit 18168b", "qdisc netem 2: parent 1:1 delay 100ms"],
    });
  });

  it("TCP tables: each end of a connection as the kernel lists it, read by exec, through the helper while paused", async () => {
    const { runtime, alice, bob } = await linkedPair();
    const [a, b] = [(await runtime.inspect(alice)).address!, (await runtime.inspect(bob)).address!];
    expect(a).toMatch(/^10\.88\.\d+\.\d+$/);
    expect(b).not.toBe(a);
    const read = await runtime.readTcpTables(bob, {});
    expect(read.via).toBe("exec");
    const [listening, established] = parseTcpTable(read.text);
    expect(listening).toMatchObject({ local: { port: 7000 }, state: "LISTEN" });
    expect(established).toMatchObject({
      local: { address: b },
      remote: { address: a, port: 7000 },
      state: "ESTABLISHED",
    });
    const dialerPort = established!.local.port;
    expect(parseTcpTable((await runtime.readTcpTables(alice, {})).text)).toEqual([
      { local: { address: "0.0.0.0", port: 7000 }, remote: { address: "0.0.0.0", port: 0 }, state: "LISTEN" },
      { local: { address: a, port: 7000 }, remote: { address: b, port: dialerPort }, state: "ESTABLISHED" },
    ]);
    // A frozen process's sockets stay established: only its neighbour's timeout closes them.
    await runtime.pause(bob);
    const paused = await runtime.readTcpTables(bob, {});
    expect(paused.via).toBe("helper");
    expect(parseTcpTable(paused.text)).toEqual(parseTcpTable(read.text));
    await runtime.unpause(bob);
    await runtime.kill(bob, "SIGKILL");
    expect((await runtime.inspect(bob)).address).toBeUndefined();
    expect(parseTcpTable((await runtime.readTcpTables(alice, {})).text).map((s) => s.state)).toEqual(["LISTEN"]);
    const unreadable = await runtime.readTcpTables(bob, {}).catch((error: unknown) => error);
    expect(unreadable).toBeInstanceOf(TcpTablesUnreadableError);
    expect((unreadable as TcpTablesUnreadableError).message).toBe(
      `cannot read the TCP tables of ${bob.slice(0, 12)}: exec: run cat in ${bob.slice(0, 12)}: Container ${bob} is not running; helper: run a helper container in the network of ${bob.slice(0, 12)}: cannot join network of a non running container: ${bob}`,
    );
  });

  it("refuses what the engine refuses, with its exit codes: a missing thing is exit 2, a wrong state exit 3", async () => {
    const runtime = await withNetwork();
    const alice = await runtime.createContainer(peerSpec("alice"));
    const refusal = (error: unknown) => ({
      message: (error as LabError).message,
      exitCode: (error as LabError).exitCode,
    });
    const attempt = (call: Promise<unknown>) => call.then(() => undefined, refusal);
    expect(await attempt(runtime.kill(alice, "SIGKILL"))).toEqual({
      message: `send SIGKILL to ${alice}: Cannot kill container: ${alice}: Container ${alice} is not running`,
      exitCode: 3,
    });
    expect(await attempt(runtime.writeLine(alice, "hi"))).toMatchObject({
      message: expect.stringContaining("You cannot attach to a stopped container"),
      exitCode: 3,
    });
    await runtime.start(alice);
    expect(await attempt(runtime.unpause(alice))).toEqual({
      message: `unpause ${alice}: Container ${alice} is not paused`,
      exitCode: 3,
    });
    await runtime.pause(alice);
    expect(await attempt(runtime.pause(alice))).toEqual({
      message: `pause ${alice}: Container ${alice} is already paused`,
      exitCode: 3,
    });
    expect(await attempt(runtime.start(alice))).toMatchObject({ exitCode: 3 });
    expect(await attempt(runtime.inspect("nope"))).toEqual({
      message: "inspect nope: No such container: nope",
      exitCode: 2,
    });
    expect(await attempt(runtime.createContainer({ ...peerSpec("bob"), image: "nope:1" }))).toEqual({
      message: "create container p2plab-t_bob: No such image: nope:1",
      exitCode: 2,
    });
    expect(await attempt(runtime.createNetwork("p2plab-t", {}))).toMatchObject({ exitCode: 3 });
    const [network] = await runtime.listNetworks(LABELS);
    expect(await attempt(runtime.removeNetwork(network!.id))).toMatchObject({
      message: expect.stringContaining("has active endpoints"),
      exitCode: 3,
    });
    // Already done is not an error: stop of a stopped container, remove of a removed one.
    await runtime.unpause(alice);
    await runtime.stop(alice, 1);
    await runtime.stop(alice, 1);
    await runtime.remove(alice);
    await runtime.remove(alice);
    await runtime.removeNetwork(network!.id);
    expect(await runtime.listNetworks(LABELS)).toEqual([]);
  });

  it("logs: timestamped lines; a follow gets new lines and ends when the container stops; newOnly skips the past", async () => {
    const runtime = await withNetwork();
    const alice = await startPeer(runtime, "alice");
    const [listening] = await lines(runtime, alice);
    expect(listening).toMatchObject({
      stream: "stdout",
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const followed: string[] = [];
    const following = (async () => {
      for await (const line of runtime.logs(alice, { follow: true, newOnly: true }))
        followed.push(parseEventLine(line.text)?.ev ?? line.text);
    })();
    await runtime.writeLine(alice, "/peers");
    await eventOf(runtime, alice, (e) => e.ev === "peers");
    await runtime.stop(alice, 5);
    await following;
    expect(followed).toEqual(["peers", "exit"]);
  });

  it("container events: replayed from a time up to a time, or followed live until aborted, by label", async () => {
    const runtime = await withNetwork();
    const before = new Date().toISOString();
    const alice = await startPeer(runtime, "alice");
    const other = await runtime.createContainer({ ...peerSpec("x"), name: "other", labels: { "p2plab.lab": "other" } });
    await runtime.start(other);
    const live = new AbortController();
    const followed: string[] = [];
    const following = (async () => {
      for await (const event of runtime.containerEvents(LABELS, { since: before, signal: live.signal })) {
        followed.push(event.change);
        if (event.change === "unpause") live.abort();
      }
    })();
    await runtime.pause(alice);
    await runtime.unpause(alice);
    await following;
    expect(followed).toEqual(["start", "pause", "unpause"]);
    expect(await engineEvents(runtime, new Date(Date.now() + 1000).toISOString())).toEqual([]);
  });

  it("runs the program of a custom image: one that exits by itself is exited with its code and its last words", async () => {
    const runtime = labs.runtime({
      "crashy:1": async ({ print, exit }) => {
        print("stderr", "no config");
        exit(1);
        return { input() {}, terminate() {}, kill() {}, freeze() {}, thaw() {} };
      },
    });
    const id = await runtime.createContainer({ ...peerSpec("c"), image: "crashy:1", network: undefined });
    await runtime.start(id);
    expect(await runtime.inspect(id)).toMatchObject({ state: "exited", exitCode: 1 });
    expect(await lines(runtime, id)).toMatchObject([{ stream: "stderr", text: "no config" }]);
  });
});

describe("images", () => {
  it("removeImage refuses while a container uses the image, as the engine does", async () => {
    const runtime = await withNetwork();
    await startPeer(runtime, "alice");
    expect(() => runtime.removeImage(MEMORY_PEER_IMAGE)).toThrow(/image is being used by container/);
    expect(await runtime.imageId(MEMORY_PEER_IMAGE)).toMatch(/^sha256:/);
  });
});
