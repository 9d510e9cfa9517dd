import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PeerPool, PeerProcess, freePort, rawNeighbor, sleep, until } from "./peer-process.js";

const FAST = ["--heartbeat", "200ms", "--timeout", "800ms"];
const pool = new PeerPool();
afterEach(() => pool.killAll());
const lab = pool.chain.bind(pool);
const start = pool.start.bind(pool);

const received = (peer: PeerProcess, text: string) => peer.of("recv").filter((e) => e.text === text);

describe("reference peer over loopback", () => {
  it("a 4-peer chain delivers a message to everyone, with hop counts", async () => {
    const [alice, bob, carol, dave] = await lab(["alice", "bob", "carol", "dave"]);
    alice!.send("hello");
    const last = await dave!.waitFor((e) => e.ev === "recv" && e.text === "hello");
    expect(last).toMatchObject({
      origin: "alice",
      from: "carol",
      hops: 3,
      id: expect.stringMatching(/^alice:[0-9a-z]{1,6}:1$/),
    });
    expect(received(bob!, "hello")).toMatchObject([{ from: "alice", hops: 1 }]);
    expect(received(carol!, "hello")).toMatchObject([{ from: "bob", hops: 2 }]);
    expect(alice!.of("sent")).toMatchObject([{ text: "hello", to: ["bob"] }]);
  });

  it("stamps every event with tsUs: the wall clock in µs, the same moment as ts, increasing along a path", async () => {
    const [alice, bob] = await lab(["alice", "bob"]);
    alice!.send("when");
    await bob!.waitFor((e) => e.ev === "recv" && e.text === "when");
    for (const event of [...alice!.events, ...bob!.events]) {
      expect(Number.isSafeInteger(event.tsUs)).toBe(true);
      expect(Math.floor(event.tsUs! / 1000)).toBe(Date.parse(event.ts));
    }
    const sent = alice!.of("sent")[0]!;
    const shown = received(bob!, "when")[0]!;
    expect(shown.tsUs! - sent.tsUs!).toBeGreaterThan(0);
  });

  it("SIGKILL of the middle peer partitions the chain", async () => {
    const [alice, bob, carol, dave] = await lab(["alice", "bob", "carol", "dave"], FAST);
    bob!.kill("SIGKILL");
    await alice!.waitFor((e) => e.ev === "link-down" && e.neighbor === "bob");
    await carol!.waitFor((e) => e.ev === "link-down" && e.neighbor === "bob");
    alice!.send("anyone?");
    dave!.send("still here");
    await carol!.waitFor((e) => e.ev === "recv" && e.text === "still here");
    // alice's sent event says whom she sent to: nobody, so no copy can be on its way.
    await alice!.waitFor((e) => e.ev === "sent" && e.text === "anyone?");
    expect(alice!.of("sent").at(-1)).toMatchObject({ text: "anyone?", to: [] });
    expect(received(carol!, "anyone?")).toEqual([]);
    expect(received(dave!, "anyone?")).toEqual([]);
    expect(received(alice!, "still here")).toEqual([]);
    expect(alice!.alive && carol!.alive && dave!.alive).toBe(true);
  });

  it("a 4-peer ring in dedup mode delivers exactly once to each peer", async () => {
    const [alice, bob, carol, dave] = await lab(["alice", "bob", "carol", "dave"], ["--mode", "dedup"]);
    alice!.send(`/connect 127.0.0.1:${dave!.port}`);
    await alice!.waitFor((e) => e.ev === "link-up" && e.neighbor === "dave");
    await dave!.waitFor((e) => e.ev === "link-up" && e.neighbor === "alice");
    bob!.send("around");
    for (const peer of [alice!, carol!, dave!]) await peer.waitFor((e) => e.ev === "recv" && e.text === "around");
    // The flood is over once its 5 copies arrived (bob's 2, one forward from each of the 3 others): 3 shown, 2 dropped as dup.
    const dupsOf = () => [alice!, bob!, carol!, dave!].flatMap((peer) => peer.of("dup"));
    await until(() => dupsOf().length >= 2, "both duplicate copies of the flood");
    for (const peer of [alice!, carol!, dave!]) expect(received(peer, "around")).toHaveLength(1);
    expect(received(bob!, "around")).toEqual([]);
    const dups = dupsOf();
    expect(dups.length).toBeGreaterThan(0);
    expect(dups.every((e) => e.id === bob!.of("sent")[0]!.id)).toBe(true);
  });

  it("tree mode on a ring makes a finite storm that stops at the hop limit", async () => {
    const limit = 8;
    const peers = await lab(["alice", "bob", "carol", "dave"], ["--hop-limit", String(limit)]);
    const [alice, , , dave] = peers;
    alice!.send(`/connect 127.0.0.1:${dave!.port}`);
    await dave!.waitFor((e) => e.ev === "link-up" && e.neighbor === "alice");
    alice!.send("storm");
    const recvsOf = () => peers.flatMap((peer) => received(peer, "storm"));
    const dropsOf = () => peers.flatMap((peer) => peer.of("hop-limit"));
    // The storm is over once both copies reached the hop limit: nothing travels after that.
    await until(
      () => dropsOf().length >= 2 && recvsOf().length >= 2 * limit,
      "both copies of the storm dropped at the hop limit",
    );
    const recvs = recvsOf();
    const drops = dropsOf();
    // Two copies circle the ring in opposite directions, each shown once per hop up to the limit.
    expect(recvs).toHaveLength(2 * limit);
    expect(Math.max(...recvs.map((e) => e.hops))).toBe(limit);
    expect(drops).toHaveLength(2);
    expect(drops.every((e) => e.hops === limit && e.id === alice!.of("sent")[0]!.id)).toBe(true);
    expect(received(alice!, "storm").length).toBeGreaterThan(0);
  });

  it("a paused (SIGSTOP) neighbour is declared down by timeout", async () => {
    const [alice, bob] = await lab(["alice", "bob"], FAST);
    bob!.kill("SIGSTOP");
    const down = await alice!.waitFor((e) => e.ev === "link-down", 5000);
    expect(down).toMatchObject({ neighbor: "bob", reason: "timeout" });
  });

  it("random bytes and a 1 MiB line close only that connection", async () => {
    const [alice, bob] = await lab(["alice", "bob"]);
    const noise = connect(alice!.port, "127.0.0.1");
    noise.on("error", () => {});
    noise.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
    const huge = await rawNeighbor(alice!.port, "huge");
    await alice!.waitFor((e) => e.ev === "link-up" && e.neighbor === "huge");
    huge.write(`${"x".repeat(1024 * 1024)}\n`);
    await alice!.waitFor((e) => e.ev === "bad-frame" && e.neighbor === "huge");
    await alice!.waitFor((e) => e.ev === "link-down" && e.neighbor === "huge");
    const badFrames = alice!.of("bad-frame");
    expect(badFrames.map((e) => e.reason)).toEqual(
      expect.arrayContaining([
        "frame over 64 KiB",
        expect.stringMatching(/^(invalid JSON|unknown frame type|not a JSON object)/),
      ]),
    );
    bob!.send("still works");
    await alice!.waitFor((e) => e.ev === "recv" && e.text === "still works");
    expect(alice!.alive).toBe(true);
    noise.destroy();
    huge.destroy();
  });

  it("a neighbour that skips hello or resets is dropped alone", async () => {
    const [alice, bob] = await lab(["alice", "bob"]);
    const rude = connect(alice!.port, "127.0.0.1");
    rude.on("error", () => {});
    rude.write(`${JSON.stringify({ type: "msg", id: "x:1", origin: "x", text: "hi", hops: 1 })}\n`);
    const bad = await alice!.waitFor((e) => e.ev === "bad-frame");
    expect(bad).toMatchObject({ reason: "expected hello first, got msg" });
    const resetter = await rawNeighbor(alice!.port, "resetter");
    await alice!.waitFor((e) => e.ev === "link-up" && e.neighbor === "resetter");
    resetter.resetAndDestroy();
    const down = await alice!.waitFor((e) => e.ev === "link-down" && e.neighbor === "resetter");
    expect(down).toMatchObject({ reason: "reset" });
    alice!.send("after");
    await bob!.waitFor((e) => e.ev === "recv" && e.text === "after");
    expect(alice!.of("sent").at(-1)).toMatchObject({ to: ["bob"] });
  });

  it("start order does not matter: --connect retries until the target listens", async () => {
    const port = await freePort();
    const bob = await start("bob", ["--connect", `127.0.0.1:${port}`]);
    // Part of the story, not a wait for an outcome: bob dials (and is refused) for a while before alice exists.
    await sleep(700);
    const alice = await start("alice", ["--port", String(port)]);
    await bob.waitFor((e) => e.ev === "link-up" && e.neighbor === "alice");
    await alice.waitFor((e) => e.ev === "link-up" && e.neighbor === "bob");
  });

  it("gives up on an unreachable target after the connect window, with an event", async () => {
    const port = await freePort();
    const bob = await start("bob", ["--connect", `127.0.0.1:${port}`, "--connect-window", "1s"]);
    const failed = await bob.waitFor((e) => e.ev === "connect-failed", 5000);
    expect(failed).toMatchObject({ target: `127.0.0.1:${port}`, reason: "ECONNREFUSED" });
    expect((failed as { attempts: number }).attempts).toBeGreaterThan(2);
    expect(bob.alive).toBe(true);
  });

  it("keeps forwarding after stdin ends, answers /peers, and exits 0 on SIGTERM", async () => {
    const [alice, bob, carol] = await lab(["alice", "bob", "carol"]);
    bob!.send("/peers");
    expect(await bob!.waitFor((e) => e.ev === "peers")).toMatchObject({ neighbors: ["alice", "carol"] });
    // Closed: its end is in bob's stdin before alice types anything.
    await new Promise<void>((resolve) => bob!.child.stdin.end(resolve));
    alice!.send("through bob");
    await carol!.waitFor((e) => e.ev === "recv" && e.text === "through bob");
    bob!.kill("SIGTERM");
    expect(await bob!.exited).toEqual({ code: 0, signal: null });
    expect(bob!.events.at(-1)).toMatchObject({ ev: "exit", code: 0, reason: "SIGTERM" });
    await alice!.waitFor((e) => e.ev === "link-down" && e.neighbor === "bob");
  });

  it("a restarted peer's message ids differ from its previous life's, so dedup peers still show them", async () => {
    const [alice, bob] = await lab(["alice", "bob"], ["--mode", "dedup"]);
    alice!.send("first life");
    await bob!.waitFor((e) => e.ev === "recv" && e.text === "first life");
    alice!.kill("SIGKILL");
    await bob!.waitFor((e) => e.ev === "link-down" && e.neighbor === "alice");
    const again = await start("alice", ["--mode", "dedup", "--connect", `127.0.0.1:${bob!.port}`]);
    await bob!.waitFor((e) => e.ev === "link-up" && e.neighbor === "alice" && bob!.of("link-up").length === 2);
    again.send("second life");
    await bob!.waitFor((e) => e.ev === "recv" && e.text === "second life");
    expect(new Set(bob!.of("recv").map((e) => e.id)).size).toBe(2);
    expect(bob!.of("dup")).toEqual([]);
  });

  it("gives each /send its own id, even for the same text typed back to back, and echoes its ref", async () => {
    const [alice, bob] = await lab(["alice", "bob"]);
    alice!.send("/send first-ref same words");
    alice!.send("/send second-ref same words");
    await bob!.waitFor(() => received(bob!, "same words").length === 2);
    const sent = alice!.of("sent");
    expect(sent).toMatchObject([
      { ref: "first-ref", text: "same words", to: ["bob"] },
      { ref: "second-ref", text: "same words", to: ["bob"] },
    ]);
    expect(sent[0]!.id).not.toBe(sent[1]!.id);
    expect(received(bob!, "same words").map((e) => e.id)).toEqual(sent.map((e) => e.id));
  });

  it("refuses a message over the size rule, ignores a line too long to read, and keeps its links", async () => {
    const [alice, bob] = await lab(["alice", "bob"]);
    alice!.send("x".repeat(10 * 1024));
    alice!.send("y".repeat(70 * 1024));
    alice!.send("short");
    await bob!.waitFor((e) => e.ev === "recv" && e.text === "short");
    expect(alice!.of("sent").map((e) => e.text)).toEqual(["short"]);
    expect(alice!.stderr).toEqual([
      "peer alice: message not sent: a message is at most 8192 bytes as JSON (this one is 10240; quotes and backslashes count twice)",
      "peer alice: line ignored: longer than 65536 bytes",
    ]);
    expect(bob!.of("link-down")).toEqual([]);
  });

  it("writing to a killed neighbour drops it and never kills the writer (no SIGPIPE)", async () => {
    const [alice, bob, carol] = await lab(["alice", "bob", "carol"], ["--heartbeat", "5s", "--timeout", "20s"]);
    carol!.kill("SIGKILL");
    for (let i = 0; i < 20 && bob!.alive; i++) {
      alice!.send(`burst ${i}`);
      // bob has it, and has written it to dead carol, before the next one.
      await bob!.waitFor((e) => e.ev === "recv" && e.text === `burst ${i}`);
    }
    await bob!.waitFor((e) => e.ev === "link-down" && e.neighbor === "carol");
    expect(bob!.alive).toBe(true);
    alice!.send("after the crash");
    await bob!.waitFor((e) => e.ev === "recv" && e.text === "after the crash");
  });
});
