import { describe, expect, it } from "vitest";
import { MEMBERSHIP, Membership, gossipDelayMs } from "./membership.js";
import type { Member } from "./wire.js";

const member = (name: string): Member => ({ name, listen: `${name}:7000` });

/** A membership on a fake clock; `random` is fixed unless a test draws its own. */
function setup(options: { minNeighbours?: number; random?: () => number } = {}) {
  const clock = { now: 1_000_000 };
  const membership = new Membership({
    self: member("me"),
    minNeighbours: options.minNeighbours ?? 2,
    now: () => clock.now,
    random: options.random ?? (() => 0.5),
  });
  /** Moves the clock to the next due time and returns the names due then. */
  const advance = (): string[] => {
    const at = membership.nextDueAt();
    if (at === undefined) return [];
    clock.now = Math.max(clock.now, at);
    return membership.due().map((m) => m.name);
  };
  return { clock, membership, advance };
}

describe("Membership: the views", () => {
  it("learns peers with their addresses, never itself, and gossips itself plus its linked heal peers", () => {
    const { membership } = setup();
    membership.learn([member("me"), member("bob"), member("carol")]);
    expect(membership.knows("me")).toBe(false);
    expect(membership.knows("bob")).toBe(true);
    membership.linkUp("alice", "alice:7000");
    membership.linkUp("tree-peer");
    expect(membership.sample()).toEqual([member("me"), member("alice")]);
  });

  it("bounds what it gossips to 64 entries", () => {
    const { membership } = setup();
    for (let i = 0; i < 100; i++) membership.linkUp(`p${i}`, `p${i}:7000`);
    expect(membership.sample()).toHaveLength(64);
    expect(membership.sample()[0]).toEqual(member("me"));
  });

  it("bounds the passive view", () => {
    const { membership } = setup({ random: Math.random });
    membership.learn(Array.from({ length: MEMBERSHIP.passiveMax + 50 }, (_, i) => member(`p${i}`)));
    const known = Array.from({ length: MEMBERSHIP.passiveMax + 50 }, (_, i) => `p${i}`).filter((n) =>
      membership.knows(n),
    );
    expect(known).toHaveLength(MEMBERSHIP.passiveMax);
  });
});

describe("Membership: repair decisions", () => {
  it("tops up to min-neighbours after a jittered pause, with random known peers, counting dials in flight", () => {
    const { clock, membership } = setup();
    membership.linkUp("alice", "alice:7000");
    membership.learn([member("bob"), member("carol"), member("dave")]);
    expect(membership.due()).toHaveLength(1); // one link, one short
    expect(membership.due()).toEqual([]); // that dial is in flight
    const start = clock.now;
    membership.linkDown("alice");
    expect(membership.nextDueAt()! - start).toBeGreaterThanOrEqual(100);
    expect(membership.nextDueAt()! - start).toBeLessThanOrEqual(200);
  });

  it("does not dial a peer it has a link to, nor one being dialled, nor itself", () => {
    const { membership } = setup({ minNeighbours: 5 });
    membership.linkUp("bob", "bob:7000");
    membership.learn([member("bob"), member("carol"), member("me")]);
    expect(membership.due().map((m) => m.name)).toEqual(["carol"]);
    expect(membership.due()).toEqual([]);
    expect(membership.nextDueAt()).toBeUndefined();
  });

  it("keeps retrying a lost peer with capped, jittered backoff while timeouts say it may be partitioned", () => {
    const { clock, membership, advance } = setup({ minNeighbours: 1 });
    membership.linkUp("alice", "alice:7000");
    membership.linkUp("bob", "bob:7000");
    membership.linkDown("bob");
    const times: number[] = [];
    let last = clock.now;
    for (let i = 0; i < 10; i++) {
      expect(advance()).toEqual(["bob"]);
      times.push(clock.now - last);
      membership.dialed("bob", "failed");
      last = clock.now;
    }
    // random 0.5: three quarters of 200, 400, ... capped at 4000
    expect(times).toEqual([150, 300, 600, 1200, 2400, 3000, 3000, 3000, 3000, 3000]);
    expect(membership.knows("bob")).toBe(true);
  });

  it("stops retrying a lost peer after the lost window, though it stays known", () => {
    const { clock, membership, advance } = setup({ minNeighbours: 1 });
    membership.linkUp("alice", "alice:7000");
    membership.linkUp("bob", "bob:7000");
    membership.linkDown("bob");
    const end = clock.now + MEMBERSHIP.lostRetryMs;
    while (clock.now < end) {
      const due = advance();
      if (due.length === 0) break;
      membership.dialed("bob", "failed");
    }
    clock.now = end;
    expect(membership.due()).toEqual([]);
    expect(membership.nextDueAt()).toBeUndefined();
  });

  it("forgets a lost peer after a few refusals: it is gone, not partitioned", () => {
    const { membership, advance } = setup({ minNeighbours: 1 });
    membership.linkUp("alice", "alice:7000");
    membership.linkUp("bob", "bob:7000");
    membership.linkDown("bob");
    for (let i = 0; i < MEMBERSHIP.forgetAfterRefusals; i++) {
      expect(advance()).toEqual(["bob"]);
      membership.dialed("bob", "refused");
    }
    expect(membership.knows("bob")).toBe(false);
    expect(advance()).toEqual([]);
  });

  it("forgets a candidate that is not lost after a few failures of any kind", () => {
    const { membership, advance } = setup({ minNeighbours: 1 });
    membership.learn([member("ghost")]);
    for (let i = 0; i < MEMBERSHIP.forgetAfterFailures; i++) {
      expect(advance()).toEqual(["ghost"]);
      membership.dialed("ghost", "failed");
    }
    expect(membership.knows("ghost")).toBe(false);
  });

  it("a peer linked again is no longer lost; a second link to one peer going down loses nothing", () => {
    const { membership } = setup({ minNeighbours: 1 });
    membership.linkUp("alice", "alice:7000");
    membership.linkUp("alice", "alice:7000");
    membership.linkDown("alice");
    expect(membership.nextDueAt()).toBeUndefined();
    membership.linkDown("alice");
    expect(membership.nextDueAt()).toBeDefined();
    membership.linkUp("alice", "alice:7000");
    expect(membership.nextDueAt()).toBeUndefined();
  });

  it("spreads the neighbours of one dead peer over time and over candidates", () => {
    const first: number[] = [];
    const picks = new Set<string>();
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let n = 0; n < 8; n++) {
      const { clock, membership } = setup({ random });
      const start = clock.now;
      membership.linkUp("dead", "dead:7000");
      membership.linkUp("left", "left:7000");
      membership.learn(["a", "b", "c", "d"].map(member));
      membership.linkDown("dead");
      first.push(membership.nextDueAt()! - start);
      clock.now = start + 200;
      for (const { name } of membership.due()) if (name !== "dead") picks.add(name);
    }
    expect(new Set(first).size).toBeGreaterThan(4);
    expect(picks.size).toBeGreaterThan(1);
  });
});

describe("gossipDelayMs", () => {
  it("is 3 to 7 heartbeats", () => {
    expect(gossipDelayMs(1000, () => 0)).toBe(3000);
    expect(gossipDelayMs(1000, () => 1)).toBe(7000);
  });
});
