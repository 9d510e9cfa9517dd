import { describe, expect, it } from "vitest";
import { Plumtree, type Clock } from "./plumtree.js";
import { encodeFrame, type Frame } from "./wire.js";

/** Time that moves only when the test says so. */
class FakeClock implements Clock {
  private time = 0;
  private timers: Array<{ at: number; run: () => void }> = [];

  now = (): number => this.time;

  after(ms: number, run: () => void): () => void {
    const timer = { at: this.time + ms, run };
    this.timers.push(timer);
    return () => (this.timers = this.timers.filter((t) => t !== timer));
  }

  /** Moves time on by `ms`, running each timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.run();
    }
    this.time = end;
  }

  get pending(): number {
    return this.timers.length;
  }
}

const GRAFT_MS = 500;
const FLUSH_MS = 5;

function setUp(cache = { maxEntries: 100, maxAgeMs: 60_000 }) {
  const clock = new FakeClock();
  const delivered = new Set<string>();
  let sent: Array<{ to: string; frame: Frame }> = [];
  const tree = new Plumtree<string>({
    graftTimeoutMs: GRAFT_MS,
    ihaveFlushMs: FLUSH_MS,
    cache,
    delivered: (id) => delivered.has(id),
    send: (to, line) => sent.push({ to, frame: JSON.parse(line) as Frame }),
    clock,
  });
  /** What was sent since the last call. */
  const take = (): Array<{ to: string; frame: Frame }> => {
    const taken = sent;
    sent = [];
    return taken;
  };
  /** Delivers and forwards a message as the peer does on its first copy. */
  const arrive = (from: string | undefined, id: string): void => {
    delivered.add(id);
    tree.received(id);
    tree.forward(from, id, payload(id));
  };
  return { clock, tree, take, arrive, delivered };
}

const payload = (id: string): string => encodeFrame({ type: "msg", id, origin: "o", text: `text of ${id}`, hops: 2 });
const msg = (to: string, id: string) => ({ to, frame: JSON.parse(payload(id)) as Frame });

describe("Plumtree eager and lazy sets", () => {
  it("starts every heal neighbour eager: the payload goes to each but its sender", () => {
    const { tree, take, arrive } = setUp();
    for (const n of ["a", "b", "c"]) tree.linkUp(n, true);
    arrive("a", "m1");
    expect(take()).toEqual([msg("b", "m1"), msg("c", "m1")]);
    arrive(undefined, "m2");
    expect(take()).toEqual([msg("a", "m2"), msg("b", "m2"), msg("c", "m2")]);
  });

  it("on a duplicate, moves the sender to lazy and prunes it; it then gets ids, not payloads", () => {
    const { clock, tree, take, arrive } = setUp();
    for (const n of ["a", "b"]) tree.linkUp(n, true);
    tree.duplicate("b");
    expect(take()).toEqual([{ to: "b", frame: { type: "prune" } }]);
    arrive("a", "m1");
    expect(take()).toEqual([]);
    clock.advance(FLUSH_MS);
    expect(take()).toEqual([{ to: "b", frame: { type: "ihave", ids: ["m1"] } }]);
  });

  it("on a prune, moves that neighbour to lazy without answering", () => {
    const { clock, tree, take, arrive } = setUp();
    for (const n of ["a", "b"]) tree.linkUp(n, true);
    tree.control("b", { type: "prune" });
    expect(take()).toEqual([]);
    arrive(undefined, "m1");
    clock.advance(FLUSH_MS);
    expect(take()).toEqual([msg("a", "m1"), { to: "b", frame: { type: "ihave", ids: ["m1"] } }]);
  });

  it("forgets a neighbour whose link went down, and a link that comes up again is eager", () => {
    const { clock, tree, take, arrive } = setUp();
    for (const n of ["a", "b"]) tree.linkUp(n, true);
    tree.control("b", { type: "prune" });
    tree.linkDown("b");
    arrive(undefined, "m1");
    clock.advance(FLUSH_MS);
    expect(take()).toEqual([msg("a", "m1")]);
    tree.linkUp("b", true);
    arrive(undefined, "m2");
    expect(take()).toEqual([msg("a", "m2"), msg("b", "m2")]);
  });
});

describe("Plumtree ihave batching", () => {
  it("announces the ids of a burst in one ihave per lazy neighbour, after the flush delay, never to the sender", () => {
    const { clock, tree, take, arrive } = setUp();
    for (const n of ["a", "b", "c"]) tree.linkUp(n, true);
    tree.control("b", { type: "prune" });
    tree.control("c", { type: "prune" });
    arrive("a", "m1");
    clock.advance(2);
    arrive("c", "m2");
    arrive("a", "m3");
    expect(take()).toEqual([msg("a", "m2")]);
    clock.advance(FLUSH_MS - 3);
    expect(take()).toEqual([]);
    clock.advance(1);
    expect(take()).toEqual([
      { to: "b", frame: { type: "ihave", ids: ["m1", "m2", "m3"] } },
      { to: "c", frame: { type: "ihave", ids: ["m1", "m3"] } },
    ]);
    clock.advance(FLUSH_MS * 10);
    expect(take()).toEqual([]);
  });

  it("sends a full ihave of 64 ids at once, the rest after the delay", () => {
    const { clock, tree, take, arrive } = setUp();
    tree.linkUp("b", true);
    tree.control("b", { type: "prune" });
    for (let i = 1; i <= 65; i++) arrive(undefined, `m${i}`);
    const full = take();
    expect(full).toHaveLength(1);
    expect(full[0]!.frame).toEqual({ type: "ihave", ids: Array.from({ length: 64 }, (_, i) => `m${i + 1}`) });
    clock.advance(FLUSH_MS);
    expect(take()).toEqual([{ to: "b", frame: { type: "ihave", ids: ["m65"] } }]);
  });
});

describe("Plumtree graft timer", () => {
  /** A tree with a, b and c lazy: they announce, this peer grafts. */
  const lazyTree = () => {
    const setup = setUp();
    for (const n of ["a", "b", "c"]) {
      setup.tree.linkUp(n, true);
      setup.tree.control(n, { type: "prune" });
    }
    return setup;
  };

  it("grafts the first announcer of a missing id once the timeout is over, and makes it eager", () => {
    const { clock, tree, take, arrive } = lazyTree();
    tree.control("b", { type: "ihave", ids: ["m1", "m2"] });
    clock.advance(100);
    tree.control("a", { type: "ihave", ids: ["m1"] });
    clock.advance(GRAFT_MS - 101);
    expect(take()).toEqual([]);
    clock.advance(1);
    expect(take()).toEqual([{ to: "b", frame: { type: "graft", ids: ["m1", "m2"] } }]);
    arrive("b", "m1");
    arrive("b", "m2");
    clock.advance(FLUSH_MS);
    // b is eager now: payloads to it, ids to the others.
    expect(take()).toEqual([
      { to: "a", frame: { type: "ihave", ids: ["m1", "m2"] } },
      { to: "c", frame: { type: "ihave", ids: ["m1", "m2"] } },
    ]);
    arrive(undefined, "m3");
    expect(take()).toEqual([msg("b", "m3")]);
  });

  it("does not graft when the payload arrives in time, nor for an id already shown", () => {
    const { clock, delivered, tree, take, arrive } = lazyTree();
    delivered.add("old");
    tree.control("a", { type: "ihave", ids: ["old", "m1"] });
    clock.advance(GRAFT_MS - 1);
    arrive("c", "m1");
    take();
    clock.advance(GRAFT_MS * 4);
    expect(take().filter(({ frame }) => frame.type === "graft")).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("asks the next announcer after another timeout when the graft brings nothing", () => {
    const { clock, tree, take } = lazyTree();
    tree.control("a", { type: "ihave", ids: ["m1"] });
    tree.control("b", { type: "ihave", ids: ["m1"] });
    tree.control("c", { type: "ihave", ids: ["m1"] });
    clock.advance(GRAFT_MS);
    expect(take()).toEqual([{ to: "a", frame: { type: "graft", ids: ["m1"] } }]);
    tree.linkDown("b");
    clock.advance(GRAFT_MS);
    expect(take()).toEqual([{ to: "c", frame: { type: "graft", ids: ["m1"] } }]);
    clock.advance(GRAFT_MS * 4);
    expect(take()).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("forgets an id whose only announcer went down", () => {
    const { clock, tree, take } = lazyTree();
    tree.control("a", { type: "ihave", ids: ["m1"] });
    tree.linkDown("a");
    clock.advance(GRAFT_MS * 2);
    expect(take()).toEqual([]);
  });
});

describe("Plumtree graft answers", () => {
  it("serves a graft from the payload cache and makes the grafter eager", () => {
    const { clock, tree, take, arrive } = setUp();
    for (const n of ["a", "b"]) tree.linkUp(n, true);
    tree.control("b", { type: "prune" });
    arrive("a", "m1");
    arrive("a", "m2");
    clock.advance(FLUSH_MS);
    take();
    tree.control("b", { type: "graft", ids: ["m2", "unknown", "m1"] });
    expect(take()).toEqual([msg("b", "m2"), msg("b", "m1")]);
    arrive("a", "m3");
    expect(take()).toEqual([msg("b", "m3")]);
  });

  it("keeps payloads only within the seen set's bounds", () => {
    const { clock, tree, take, arrive } = setUp({ maxEntries: 2, maxAgeMs: 1000 });
    tree.linkUp("b", true);
    tree.control("b", { type: "prune" });
    for (const id of ["m1", "m2", "m3"]) arrive(undefined, id);
    clock.advance(FLUSH_MS);
    take();
    tree.control("b", { type: "graft", ids: ["m1", "m2", "m3"] });
    expect(take()).toEqual([msg("b", "m2"), msg("b", "m3")]);
    clock.advance(1001);
    tree.control("b", { type: "graft", ids: ["m3"] });
    expect(take()).toEqual([]);
  });
});

describe("Plumtree with neighbours that do not speak heal", () => {
  it("floods them always and never sends them a control frame, whatever they send", () => {
    const { clock, tree, take, arrive } = setUp();
    tree.linkUp("old", false);
    tree.linkUp("b", true);
    tree.duplicate("old");
    tree.control("old", { type: "prune" });
    tree.control("old", { type: "ihave", ids: ["m9"] });
    tree.control("old", { type: "graft", ids: ["m1"] });
    clock.advance(GRAFT_MS * 2);
    expect(take()).toEqual([]);
    arrive("b", "m1");
    arrive(undefined, "m2");
    clock.advance(FLUSH_MS);
    expect(take()).toEqual([msg("old", "m1"), msg("b", "m2"), msg("old", "m2")]);
  });
});
