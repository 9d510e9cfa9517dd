import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import type { NetworkFault } from "../faults/network-faults.js";
import type { ContainerChange } from "../runtime/runtime.js";
import type { PeerMode, Topology } from "../topology/schema.js";
import type { EngineRecord } from "../transcript/engine.js";
import { mergeTimeline, type TimelineRecord } from "../transcript/transcript.js";
import type { Action } from "../transcript/journal.js";
import type { LinkRecord } from "../transcript/link-records.js";
import { checkDeliveries, checkLevels } from "./checker.js";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const at = (ms: number): string => new Date(T0 + ms).toISOString();

function topology(links: Array<[string, string]>, mode: PeerMode = "tree", check: Topology["check"] = {}): Topology {
  const names = [...new Set(links.flat())];
  return {
    name: "t",
    description: "",
    file: "t.yaml",
    peers: names.map((name) => ({
      name,
      connect: [],
      mode,
      heartbeat: "1s",
      timeout: "3s",
      hopLimit: 16,
      env: {},
      interface: { events: "json" as const },
      limits: { memory: "256m", pids: 256 },
    })),
    links,
    check,
    scenario: [],
  };
}

/** A small script for timelines: each helper appends events at a time in ms. */
class Script {
  events: PeerEvent[] = [];
  actions: Action[] = [];
  engine: EngineRecord[] = [];
  links: LinkRecord[] = [];
  private seq = new Map<string, number>();
  listen(ms: number, ...peers: string[]): this {
    for (const peer of peers) this.events.push({ ts: at(ms), peer, ev: "listening", port: 7000 });
    return this;
  }
  link(ms: number, a: string, b: string): this {
    this.events.push({ ts: at(ms), peer: a, ev: "link-up", neighbor: b, addr: "x", dir: "out" });
    this.events.push({ ts: at(ms), peer: b, ev: "link-up", neighbor: a, addr: "x", dir: "in" });
    return this;
  }
  /** A heal peer's own dial: the dialler says it is a repair; the end that accepted it does not know. */
  repair(ms: number, dialler: string, target: string): this {
    this.events.push({
      ts: at(ms),
      peer: dialler,
      ev: "link-up",
      neighbor: target,
      addr: "x",
      dir: "out",
      repair: true,
    });
    this.events.push({ ts: at(ms + 1), peer: target, ev: "link-up", neighbor: dialler, addr: "x", dir: "in" });
    return this;
  }
  down(ms: number, peer: string, neighbor: string, reason = "eof"): this {
    this.events.push({ ts: at(ms), peer, ev: "link-down", neighbor, reason });
    return this;
  }
  send(ms: number, peer: string, text: string): string {
    const n = (this.seq.get(peer) ?? 0) + 1;
    this.seq.set(peer, n);
    const id = `${peer}:${n}`;
    this.events.push({ ts: at(ms), peer, ev: "sent", id, origin: peer, text, to: [] });
    return id;
  }
  recv(ms: number, peer: string, id: string, from: string, hops: number, text = "x"): this {
    this.events.push({ ts: at(ms), peer, ev: "recv", id, origin: id.split(":")[0]!, from, hops, text });
    return this;
  }
  act(ms: number, action: string, target: string): this {
    this.actions.push({ ts: at(ms), action, target });
    return this;
  }
  /** A network fault, journalled as lab does it. */
  net(ms: number, fault: NetworkFault): this {
    this.actions.push({ ts: at(ms), action: fault.kind, fault });
    return this;
  }
  /** A change the engine saw in a peer's container. */
  container(ms: number, target: string, change: ContainerChange, exitCode?: number): this {
    this.engine.push({
      ts: at(ms),
      peer: "engine",
      ev: "container",
      target,
      change,
      ...(exitCode === undefined ? {} : { exitCode }),
      source: "events",
    });
    return this;
  }
  /** What lab observed of a peer's links from outside (a peer that reports none). */
  observed(ms: number, target: string, neighbors: string[]): this {
    this.links.push({
      ts: at(ms),
      peer: "lab",
      ev: "links",
      target,
      neighbors,
      up: neighbors,
      down: [],
      source: "tcp-table",
    });
    return this;
  }
  get records(): TimelineRecord[] {
    return mergeTimeline(this.events, this.actions, this.engine, this.links);
  }
}

const classes = (cells: Record<string, { class: string }>) =>
  Object.fromEntries(Object.entries(cells).map(([peer, cell]) => [peer, cell.class]));

describe("checkDeliveries", () => {
  const chain = topology([
    ["bob", "alice"],
    ["carol", "bob"],
    ["dave", "carol"],
  ]);

  it("chain with a killed bridge: delivered before, unreachable after, and the far side still talks", () => {
    const s = new Script()
      .listen(0, "alice", "bob", "carol", "dave")
      .link(10, "alice", "bob")
      .link(10, "bob", "carol")
      .link(10, "carol", "dave");
    const hello = s.send(100, "alice", "hello");
    s.recv(105, "bob", hello, "alice", 1).recv(110, "carol", hello, "bob", 2).recv(118, "dave", hello, "carol", 3);
    s.act(500, "kill", "bob").down(505, "alice", "bob").down(506, "carol", "bob");
    const anyone = s.send(600, "alice", "anyone?");
    const still = s.send(700, "dave", "still here");
    s.recv(703, "carol", still, "dave", 1);

    const result = checkDeliveries(chain, s.records);
    const [first, second, third] = result.messages;
    expect(first).toMatchObject({ id: hello, reachable: ["bob", "carol", "dave"] });
    expect(classes(first!.cells)).toEqual({
      alice: "delivered",
      bob: "delivered",
      carol: "delivered",
      dave: "delivered",
    });
    expect(first!.cells.dave).toEqual({ class: "delivered", count: 1, latencyMs: 18, hops: 3 });
    expect(second).toMatchObject({ id: anyone, reachable: [] });
    expect(classes(second!.cells)).toEqual({
      alice: "delivered",
      bob: "unreachable",
      carol: "unreachable",
      dave: "unreachable",
    });
    expect(third).toMatchObject({ reachable: ["carol"] });
    expect(classes(third!.cells)).toEqual({
      alice: "unreachable",
      bob: "unreachable",
      carol: "delivered",
      dave: "delivered",
    });
    expect(result.check.failing).toEqual([]);
    expect(result.latency).toEqual({ count: 4, meanMs: 9, p50Ms: 5, p95Ms: 18, maxMs: 18 });
    expect(result.forwards).toHaveLength(4);
  });

  it("peers that report no links: who could receive a message comes from the links lab observed", () => {
    // bob and carol print no link events; lab saw their links in their TCP tables.
    const s = new Script()
      .listen(0, "alice", "bob", "carol", "dave")
      .observed(20, "bob", ["alice", "carol"])
      .observed(20, "carol", ["bob", "dave"]);
    const hello = s.send(100, "alice", "hello");
    s.recv(105, "bob", hello, "alice", 1).recv(110, "carol", hello, "bob", 2).recv(118, "dave", hello, "carol", 3);
    s.act(500, "kill", "bob").observed(1000, "carol", ["dave"]);
    const later = s.send(1100, "dave", "later");
    s.recv(1103, "carol", later, "dave", 1);

    const [first, second] = checkDeliveries(chain, s.records).messages;
    expect(first!.reachable).toEqual(["bob", "carol", "dave"]);
    expect(second!.reachable).toEqual(["carol"]);
    expect(classes(second!.cells)).toMatchObject({ alice: "unreachable", carol: "delivered" });
  });

  it("a missing delivery fails the run; a reachable peer that never showed it is named", () => {
    const s = new Script()
      .listen(0, "alice", "bob", "carol", "dave")
      .link(10, "alice", "bob")
      .link(10, "bob", "carol")
      .link(10, "carol", "dave");
    const hello = s.send(100, "alice", "hello");
    s.recv(105, "bob", hello, "alice", 1).recv(110, "carol", hello, "bob", 2);
    const result = checkDeliveries(chain, s.records);
    expect(result.messages[0]!.cells.dave).toEqual({ class: "missing", count: 0 });
    expect(result.check.failing).toEqual(["missing"]);
  });

  it("a ring in dedup mode: each peer shows the message once, nothing fails", () => {
    const ring = topology(
      [
        ["b", "a"],
        ["c", "b"],
        ["d", "c"],
        ["a", "d"],
      ],
      "dedup",
    );
    const s = new Script()
      .listen(0, "a", "b", "c", "d")
      .link(10, "a", "b")
      .link(10, "b", "c")
      .link(10, "c", "d")
      .link(10, "d", "a");
    const id = s.send(100, "a", "round");
    s.recv(102, "b", id, "a", 1).recv(102, "d", id, "a", 1).recv(104, "c", id, "b", 2);
    const result = checkDeliveries(ring, s.records);
    expect(classes(result.messages[0]!.cells)).toEqual({
      a: "delivered",
      b: "delivered",
      c: "delivered",
      d: "delivered",
    });
    expect(result.check.levels.duplicated).toBe("fail");
    expect(result.check.failing).toEqual([]);
  });

  it("a tree-mode storm on a cycle: duplicates (the sender's own echo included) are warnings by default", () => {
    const ring = topology([
      ["b", "a"],
      ["c", "b"],
      ["a", "c"],
    ]);
    const s = new Script().listen(0, "a", "b", "c").link(10, "a", "b").link(10, "b", "c").link(10, "c", "a");
    const id = s.send(100, "a", "storm");
    s.recv(101, "b", id, "a", 1)
      .recv(101, "c", id, "a", 1)
      .recv(102, "c", id, "b", 2)
      .recv(102, "b", id, "c", 2)
      .recv(103, "a", id, "c", 3)
      .recv(103, "a", id, "b", 3);
    const result = checkDeliveries(ring, s.records);
    expect(result.messages[0]!.cells).toEqual({
      a: { class: "duplicated", count: 3, latencyMs: 3, hops: 3 },
      b: { class: "duplicated", count: 2, latencyMs: 1, hops: 1 },
      c: { class: "duplicated", count: 2, latencyMs: 1, hops: 1 },
    });
    expect(result.check.counts.duplicated).toBe(3);
    expect(result.check.levels.duplicated).toBe("warn");
    expect(result.check.failing).toEqual([]);
    const strict = checkDeliveries(
      topology(
        [
          ["b", "a"],
          ["c", "b"],
          ["a", "c"],
        ],
        "tree",
        { duplicated: "fail" },
      ),
      s.records,
    );
    expect(strict.check.failing).toEqual(["duplicated"]);
  });

  it("a message sent while a peer was paused: it is shown after resume, so it is unexpected, not missing", () => {
    const s = new Script().listen(0, "alice", "bob", "carol").link(10, "alice", "bob").link(10, "bob", "carol");
    s.act(200, "pause", "bob");
    const id = s.send(300, "alice", "while frozen");
    s.act(900, "resume", "bob");
    s.recv(901, "bob", id, "alice", 1).recv(905, "carol", id, "bob", 2);
    const chain3 = topology([
      ["bob", "alice"],
      ["carol", "bob"],
    ]);
    const result = checkDeliveries(chain3, s.records);
    expect(result.messages[0]!.reachable).toEqual([]);
    expect(classes(result.messages[0]!.cells)).toEqual({ alice: "delivered", bob: "unexpected", carol: "unexpected" });
    expect(result.check.failing).toEqual([]);
    expect(checkDeliveries({ ...chain3, check: { unexpected: "fail" } }, s.records).check.failing).toEqual([
      "unexpected",
    ]);
  });

  it("measures latency to the µs when both ends carry tsUs, else from the ms ts", () => {
    const s = new Script().listen(0, "a", "b", "c").link(10, "a", "b").link(10, "b", "c");
    const id = s.send(100, "a", "fast");
    s.recv(100, "b", id, "a", 1).recv(101, "c", id, "b", 2);
    const micro = (ms: number, extraUs: number): number => (T0 + ms) * 1000 + extraUs;
    const [sent, atB] = s.events.slice(-3) as [PeerEvent, PeerEvent];
    sent.tsUs = micro(100, 120);
    atB.tsUs = micro(100, 532);
    // c prints no tsUs (another implementation): its latency comes from ts, to the ms.
    const result = checkDeliveries(
      topology([
        ["b", "a"],
        ["c", "b"],
      ]),
      s.records,
    );
    expect(result.messages[0]!.cells.b).toEqual({ class: "delivered", count: 1, latencyMs: 0.412, hops: 1 });
    expect(result.messages[0]!.cells.c).toEqual({ class: "delivered", count: 1, latencyMs: 1, hops: 2 });
    expect(result.latency).toMatchObject({ count: 2, meanMs: 0.706, p50Ms: 0.412, maxMs: 1 });
  });

  it("a delivery after the settle window is late", () => {
    const s = new Script().listen(0, "a", "b").link(10, "a", "b");
    const id = s.send(100, "a", "slow");
    s.recv(2600, "b", id, "a", 1);
    const result = checkDeliveries(topology([["b", "a"]]), s.records);
    expect(result.messages[0]!.cells.b).toEqual({ class: "late", count: 1, latencyMs: 2500, hops: 1 });
  });

  it("a restarted peer counts again only once it listens", () => {
    const s = new Script().listen(0, "a", "b").link(10, "a", "b");
    s.act(100, "restart", "b");
    const early = s.send(150, "a", "too early");
    s.listen(400, "b").link(450, "a", "b");
    const later = s.send(500, "a", "welcome back");
    s.recv(502, "b", later, "a", 1);
    const result = checkDeliveries(topology([["b", "a"]]), s.records);
    expect(result.messages.map((m) => [m.id, m.reachable])).toEqual([
      [early, []],
      [later, ["b"]],
    ]);
  });

  it("a peer the engine saw die, with no lab action and no exit event of its own, is dead from that moment", () => {
    // bob was killed behind lab's back (docker kill, the OOM killer): only the engine knows.
    const s = new Script()
      .listen(0, "alice", "bob", "carol", "dave")
      .link(10, "alice", "bob")
      .link(10, "bob", "carol")
      .link(10, "carol", "dave");
    s.container(500, "bob", "die", 137).down(505, "alice", "bob").down(506, "carol", "bob");
    const fromCarol = s.send(600, "carol", "after");
    s.recv(603, "dave", fromCarol, "carol", 1);
    const result = checkDeliveries(chain, s.records);
    expect(result.messages[0]!.reachable).toEqual(["dave"]);
    expect(classes(result.messages[0]!.cells)).toEqual({
      alice: "unreachable",
      bob: "unreachable",
      carol: "delivered",
      dave: "delivered",
    });
    expect(result.check.failing).toEqual([]);
  });

  it("without the journal's actions, the engine's container changes still say who was down, paused and back", () => {
    // The journal was removed: lab's kill, pause, resume and start are known only from the engine.
    const s = new Script().listen(0, "alice", "bob", "carol");
    s.container(0, "alice", "start").container(0, "bob", "start").container(0, "carol", "start");
    s.link(10, "alice", "bob").link(10, "bob", "carol");
    s.container(100, "carol", "pause");
    const whilePaused = s.send(150, "alice", "carol is frozen");
    s.recv(152, "bob", whilePaused, "alice", 1);
    s.container(200, "carol", "unpause");
    s.recv(201, "carol", whilePaused, "bob", 2);
    s.container(300, "bob", "die", 137).down(301, "alice", "bob").down(301, "carol", "bob");
    s.send(400, "alice", "bob is gone");
    // The engine's start comes before the restarted process listens: bob counts again only then.
    s.container(500, "bob", "start");
    s.send(510, "carol", "too early");
    s.listen(600, "bob").link(650, "bob", "carol");
    const back = s.send(700, "carol", "welcome back");
    s.recv(702, "bob", back, "carol", 1);
    const result = checkDeliveries(
      topology([
        ["bob", "alice"],
        ["carol", "bob"],
      ]),
      s.records,
    );
    expect(result.messages.map((m) => [m.text, m.reachable])).toEqual([
      ["carol is frozen", ["bob"]],
      ["bob is gone", []],
      ["too early", []],
      ["welcome back", ["bob"]],
    ]);
    expect(classes(result.messages[0]!.cells)).toEqual({ alice: "delivered", bob: "delivered", carol: "unexpected" });
    expect(result.check.failing).toEqual([]);
  });
});

describe("checkDeliveries in heal mode", () => {
  const chain = topology(
    [
      ["b", "a"],
      ["c", "b"],
    ],
    "heal",
  );

  it("a repaired link counts from the moment either end reports it: a message after the repair is expected across it", () => {
    const s = new Script().listen(0, "a", "b", "c").link(10, "a", "b").link(10, "b", "c");
    s.act(500, "kill", "b").down(505, "a", "b").down(506, "c", "b");
    const before = s.send(600, "a", "before the repair");
    s.repair(900, "a", "c");
    const after = s.send(1000, "a", "after the repair");
    s.recv(1003, "c", after, "a", 1);

    const result = checkDeliveries(chain, s.records);
    expect(result.messages.map((message) => [message.id, message.reachable])).toEqual([
      [before, []],
      [after, ["c"]],
    ]);
    expect(classes(result.messages[1]!.cells)).toEqual({ a: "delivered", b: "unreachable", c: "delivered" });
    expect(result.check.failing).toEqual([]);
  });

  it("a message after the repair that the far end never shows is missing", () => {
    const s = new Script().listen(0, "a", "b", "c").link(10, "a", "b").link(10, "b", "c");
    s.act(500, "kill", "b").down(505, "a", "b").down(506, "c", "b").repair(900, "a", "c");
    s.send(1000, "a", "lost");
    const result = checkDeliveries(chain, s.records);
    expect(result.messages[0]!.cells.c!.class).toBe("missing");
    expect(result.check.failing).toEqual(["missing"]);
  });
});

describe("checkDeliveries under network faults", () => {
  const chain = topology([
    ["bob", "alice"],
    ["carol", "bob"],
    ["dave", "carol"],
  ]);
  const wired = (): Script =>
    new Script()
      .listen(0, "alice", "bob", "carol", "dave")
      .link(10, "alice", "bob")
      .link(10, "bob", "carol")
      .link(10, "carol", "dave");
  const halves: NetworkFault = {
    kind: "partition",
    groups: [
      ["alice", "bob"],
      ["carol", "dave"],
    ],
  };

  it("a partition: a message is expected only on its sender's side, though the peers still report the bridge up", () => {
    const s = wired().net(100, halves);
    const hello = s.send(200, "alice", "hello");
    s.recv(203, "bob", hello, "alice", 1);
    const result = checkDeliveries(chain, s.records);
    expect(result.messages[0]!.reachable).toEqual(["bob"]);
    expect(classes(result.messages[0]!.cells)).toEqual({
      alice: "delivered",
      bob: "delivered",
      carol: "unreachable",
      dave: "unreachable",
    });
    expect(result.check.failing).toEqual([]);
  });

  it("a one-way cut bob → carol: bob's side does not reach carol's, carol's side still reaches bob's", () => {
    const s = wired().net(100, { kind: "cut", from: "bob", to: "carol", oneWay: true });
    const fromAlice = s.send(200, "alice", "west to east");
    const fromDave = s.send(300, "dave", "east to west");
    const [west, east] = checkDeliveries(chain, s.records).messages;
    expect(west!.id).toBe(fromAlice);
    expect(west!.reachable).toEqual(["bob"]);
    expect(east!.id).toBe(fromDave);
    expect(east!.reachable).toEqual(["bob", "alice", "carol"]);
  });

  it("a cut undone by link: reachable again at once, as the peers kept reporting the link up", () => {
    const s = wired().net(100, { kind: "cut", from: "bob", to: "carol", oneWay: false });
    s.send(200, "alice", "cut");
    s.net(300, { kind: "link", from: "bob", to: "carol", oneWay: false });
    s.send(400, "alice", "linked");
    expect(checkDeliveries(chain, s.records).messages.map((m) => m.reachable)).toEqual([
      ["bob"],
      ["bob", "carol", "dave"],
    ]);
  });

  it("after heal, reachability follows the links the peers report: back only once they reconnect", () => {
    const s = wired().net(100, halves).down(3100, "bob", "carol", "timeout").down(3100, "carol", "bob", "timeout");
    s.net(4000, { kind: "heal" });
    s.send(4100, "alice", "healed, not reconnected");
    s.link(5000, "bob", "carol");
    s.send(5100, "alice", "reconnected");
    expect(checkDeliveries(chain, s.records).messages.map((m) => m.reachable)).toEqual([
      ["bob"],
      ["bob", "carol", "dave"],
    ]);
  });

  it("loss does not make a peer unreachable; the latency of copies whose path crossed it is summed apart", () => {
    const s = wired().net(100, { kind: "loss", peer: "carol", percent: 20, to: "dave" });
    const hello = s.send(200, "alice", "hello");
    s.recv(210, "bob", hello, "alice", 1).recv(220, "carol", hello, "bob", 2).recv(1420, "dave", hello, "carol", 3);
    const result = checkDeliveries(chain, s.records);
    expect(result.messages[0]!.reachable).toEqual(["bob", "carol", "dave"]);
    expect(result.messages[0]!.cells.dave).toEqual({
      class: "delivered",
      count: 1,
      latencyMs: 1220,
      hops: 3,
      degraded: true,
    });
    expect(result.messages[0]!.cells.carol).not.toHaveProperty("degraded");
    expect(result.latencyUnderFaults).toEqual({
      clean: { count: 2, meanMs: 15, p50Ms: 10, p95Ms: 20, maxMs: 20 },
      degraded: { count: 1, meanMs: 1220, p50Ms: 1220, p95Ms: 1220, maxMs: 1220 },
    });
  });

  it("a rate limit or a delay on the far end of a hop slows it too: TCP needs both ways", () => {
    const s = wired().net(100, { kind: "rate", peer: "bob", kbit: 64 });
    const hello = s.send(200, "alice", "hello");
    s.recv(210, "bob", hello, "alice", 1);
    expect(checkDeliveries(chain, s.records).messages[0]!.cells.bob).toMatchObject({ degraded: true });
  });

  it("no latency split when no loss, delay or rate fault was in force at any send", () => {
    const s = wired().net(100, halves);
    s.send(200, "alice", "hello");
    expect(checkDeliveries(chain, s.records)).not.toHaveProperty("latencyUnderFaults");
  });
});

describe("checkLevels", () => {
  it("tree mode on a tree fails on duplicates; tree mode on a cycle warns", () => {
    expect(
      checkLevels(
        topology([
          ["b", "a"],
          ["c", "b"],
        ]),
      ),
    ).toEqual({ missing: "fail", duplicated: "fail", unexpected: "warn", late: "warn" });
    expect(
      checkLevels(
        topology([
          ["b", "a"],
          ["c", "b"],
          ["a", "c"],
        ]),
      ).duplicated,
    ).toBe("warn");
  });
});
