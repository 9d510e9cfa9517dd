import { afterEach, describe, expect, it } from "vitest";
import { PeerPool, freePort, until, type PeerProcess } from "./peer-process.js";

const FAST = ["--heartbeat", "200ms", "--timeout", "800ms"];
const pool = new PeerPool();
afterEach(() => pool.killAll());

type Running = PeerProcess & { port: number };

/** A heal peer on loopback that advertises the address it listens on (a host name would not resolve here). */
async function heal(name: string, args: string[] = []): Promise<Running> {
  const port = await freePort();
  return pool.start(name, [
    "--mode",
    "heal",
    "--port",
    String(port),
    "--advertise",
    `127.0.0.1:${port}`,
    ...FAST,
    ...args,
  ]);
}

const dial = (peer: Running): string[] => ["--connect", `127.0.0.1:${peer.port}`];

/** Asks /peers again until the neighbours it lists satisfy `holds`. */
async function neighboursUntil(peer: Running, holds: (names: string[]) => boolean, what: string): Promise<void> {
  let asked = 0;
  await until(() => {
    const answers = peer.of("peers");
    if (answers.length > 0 && holds(answers.at(-1)!.neighbors)) return true;
    if (answers.length >= asked) {
      asked = answers.length + 1;
      peer.send("/peers");
    }
    return false;
  }, `${peer.name}: ${what}`);
}

/** These neighbours, each once. */
const exactly = (expected: string[]) => (names: string[]) =>
  JSON.stringify([...names].sort()) === JSON.stringify([...expected].sort());

describe("heal mode over loopback", () => {
  it("a dead hub's leaves find each other: a dial of its own, link-up with repair, one link, delivery once", async () => {
    const bob = await heal("bob", ["--min-neighbours", "1"]);
    const alice = await heal("alice", ["--min-neighbours", "1", ...dial(bob)]);
    await alice.waitFor((e) => e.ev === "link-up" && e.neighbor === "bob");
    const carol = await heal("carol", ["--min-neighbours", "1", ...dial(bob)]);
    await carol.waitFor((e) => e.ev === "link-up" && e.neighbor === "bob");
    // bob sent carol the members he knows on link-up, before this message: once it arrives, carol knows alice.
    bob.send("members first");
    await carol.waitFor((e) => e.ev === "recv" && e.text === "members first");
    expect([...alice.of("link-up"), ...carol.of("link-up")].some((e) => e.repair)).toBe(false);

    const killedAt = Date.now();
    bob.kill("SIGKILL");
    await carol.waitFor((e) => e.ev === "link-up" && e.neighbor === "alice", 3000);
    expect(Date.now() - killedAt).toBeLessThan(3000);
    await neighboursUntil(alice, exactly(["carol"]), "one link, to carol");
    await neighboursUntil(carol, exactly(["alice"]), "one link, to alice");
    const dialled = [...alice.of("link-up"), ...carol.of("link-up")].filter(
      (e) => e.dir === "out" && e.neighbor !== "bob",
    );
    expect(dialled.length).toBeGreaterThan(0);
    expect(dialled.every((e) => e.repair === true)).toBe(true);

    alice.send("after the repair");
    await carol.waitFor((e) => e.ev === "recv" && e.text === "after the repair");
    expect(carol.of("recv").filter((e) => e.text === "after the repair")).toHaveLength(1);
  });

  it("tops up to --min-neighbours at start: a chain's ends dial the peers they hear of", async () => {
    const alice = await heal("alice");
    const bob = await heal("bob", dial(alice));
    await bob.waitFor((e) => e.ev === "link-up" && e.neighbor === "alice");
    const carol = await heal("carol", dial(bob));
    for (const [peer, others] of [
      [alice, ["bob", "carol"]],
      [bob, ["alice", "carol"]],
      [carol, ["alice", "bob"]],
    ] as const) {
      await neighboursUntil(peer, exactly([...others]), `links to ${others.join(" and ")}, once each`);
    }
    const repairs = [...alice.of("link-up"), ...carol.of("link-up")].filter((e) => e.repair);
    expect(repairs.map((e) => [e.peer, e.neighbor].sort().join("-"))).toContain("alice-carol");
  });

  it("a lost neighbour is dialled again until it answers: silence (a pause) is repaired once it ends", async () => {
    const alice = await heal("alice", ["--min-neighbours", "1"]);
    const bob = await heal("bob", ["--min-neighbours", "1", ...dial(alice)]);
    await alice.waitFor((e) => e.ev === "link-up" && e.neighbor === "bob");
    expect([...alice.of("link-up"), ...bob.of("link-up")].some((e) => e.repair)).toBe(false);
    bob.kill("SIGSTOP");
    await alice.waitFor((e) => e.ev === "link-down" && e.neighbor === "bob", 3000);
    // alice keeps dialling: the kernel accepts for the stopped bob, whose hello never comes.
    await alice.waitFor((e) => e.ev === "handshake-failed" && e.dir === "out", 5000);
    bob.kill("SIGCONT");
    await neighboursUntil(alice, exactly(["bob"]), "linked to bob again");
    await neighboursUntil(bob, exactly(["alice"]), "linked to alice again");
    // Whichever side's dial got through, the link came from a dial of its own: a repair (none before the pause).
    expect([...alice.of("link-up"), ...bob.of("link-up")].filter((e) => e.repair).length).toBeGreaterThan(0);
  });

  it("two heal peers dialling each other keep one link, and the last event for it on each side is its link-up", async () => {
    const [alicePort, bobPort] = [await freePort(), await freePort()];
    const address = (port: number) => ["--port", String(port), "--advertise", `127.0.0.1:${port}`];
    const [alice, bob] = await Promise.all([
      pool.start("alice", ["--mode", "heal", ...FAST, ...address(alicePort), "--connect", `127.0.0.1:${bobPort}`]),
      pool.start("bob", ["--mode", "heal", ...FAST, ...address(bobPort), "--connect", `127.0.0.1:${alicePort}`]),
    ]);
    // The connection both drop is closed with reason duplicate on at least one side (the other may read eof).
    const closed = () =>
      [...alice.events, ...bob.events].filter(
        (e) => (e.ev === "handshake-failed" || e.ev === "link-down") && e.reason === "duplicate",
      );
    await until(() => closed().length > 0, "a duplicate closed");
    await neighboursUntil(alice, exactly(["bob"]), "one link to bob");
    await neighboursUntil(bob, exactly(["alice"]), "one link to alice");
    for (const peer of [alice, bob]) {
      const last = peer.events.filter((e) => e.ev === "link-up" || e.ev === "link-down").at(-1);
      expect(last?.ev).toBe("link-up");
    }
    alice.send("once");
    await bob.waitFor((e) => e.ev === "recv" && e.text === "once");
    expect(bob.of("recv")).toHaveLength(1);
  });

  it("speaks to a dedup neighbour as dedup does: no heal frame, the link stays up, messages flow", async () => {
    const port = await freePort();
    const dedup = await pool.start("dedup", ["--mode", "dedup", "--port", String(port)]);
    const healer = await heal("healer", dial(dedup));
    await dedup.waitFor((e) => e.ev === "link-up" && e.neighbor === "healer");
    healer.send("plain flooding");
    await dedup.waitFor((e) => e.ev === "recv" && e.text === "plain flooding");
    dedup.send("and back");
    await healer.waitFor((e) => e.ev === "recv" && e.text === "and back");
    expect(dedup.of("bad-frame")).toEqual([]);
    expect(healer.of("link-up")).toMatchObject([{ neighbor: "dedup", dir: "out" }]);
    expect(healer.of("link-up")[0]).not.toHaveProperty("repair");
  });
});
