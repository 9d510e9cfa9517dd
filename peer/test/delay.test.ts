import { afterEach, describe, expect, it } from "vitest";
import type { PeerEvent } from "../src/events.js";
import { MAX_SEND_QUEUE_BYTES } from "../src/link.js";
import { PeerPool, type PeerProcess } from "./peer-process.js";

/** No heartbeat during a test: a ping held by a delay would queue a later message behind it. */
const QUIET = ["--heartbeat", "30s", "--timeout", "60s"];
const pool = new PeerPool();
afterEach(() => pool.killAll());

const ms = (event: PeerEvent): number => Date.parse(event.ts);

/** Sends `text` from `from` and resolves with how long it took to reach `to`, by the two events' timestamps. */
async function transit(from: PeerProcess, to: PeerProcess, text: string): Promise<number> {
  from.send(text);
  const recv = await to.waitFor((e) => e.ev === "recv" && e.text === text);
  const sent = await from.waitFor((e) => e.ev === "sent" && e.text === text);
  return ms(recv) - ms(sent);
}

/** Types a `/delay` line and waits until the peer says it applied it. */
async function delay(peer: PeerProcess, neighbor: string, line: string): Promise<PeerEvent> {
  const before = peer.of("delay").length;
  peer.send(`/delay ${neighbor} ${line}`);
  return peer.waitFor(() => peer.of("delay").length > before);
}

describe("the reference peer's /delay", () => {
  it("holds the frames it writes to one neighbour, not those it reads, until the delay is 0", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"], QUIET);
    expect(await delay(alice!, "bob", "300ms")).toMatchObject({ ev: "delay", neighbor: "bob", ms: 300, jitterMs: 0 });
    expect(await transit(alice!, bob!, "slow")).toBeGreaterThanOrEqual(300);
    expect(await transit(bob!, alice!, "back at once")).toBeLessThan(100);
    expect(await delay(alice!, "bob", "0")).toMatchObject({ neighbor: "bob", ms: 0, jitterMs: 0 });
    expect(await transit(alice!, bob!, "fast again")).toBeLessThan(100);
  });

  it("keeps the order of a link's frames under jitter", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"], QUIET);
    await delay(alice!, "bob", "200ms 150ms");
    const texts = Array.from({ length: 20 }, (_, i) => `in order ${i}`);
    for (const text of texts) alice!.send(text);
    await bob!.waitFor(() => bob!.of("recv").length === texts.length);
    expect(bob!.of("recv").map((e) => e.text)).toEqual(texts);
    const sentAt = new Map(alice!.of("sent").map((e) => [e.id, ms(e)]));
    for (const recv of bob!.of("recv")) expect(ms(recv) - sentAt.get(recv.id)!).toBeGreaterThanOrEqual(50);
  });

  it("* holds every link, later ones too; a neighbour named after it, linked or not yet, is exempt", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"], QUIET);
    await delay(alice!, "*", "300ms");
    await delay(alice!, "bob", "0");
    await delay(alice!, "dave", "0");
    const joining = ["carol", "dave"].map((name) =>
      pool.start(name, [...QUIET, "--connect", `127.0.0.1:${alice!.port}`]),
    );
    const [carol, dave] = await Promise.all(joining);
    await alice!.waitForLinks(["carol", "dave"]);
    // alice's hellos to them were held by * (a link has no name before its hello): linked once through.
    await carol!.waitForLinks(["alice"]);
    await dave!.waitForLinks(["alice"]);
    alice!.send("to all");
    const sent = await alice!.waitFor((e) => e.ev === "sent" && e.text === "to all");
    expect(sent).toMatchObject({ to: expect.arrayContaining(["bob", "carol", "dave"]) });
    const transitTo = async (peer: PeerProcess): Promise<number> =>
      ms(await peer.waitFor((e) => e.ev === "recv" && e.text === "to all")) - ms(sent);
    expect(await transitTo(carol!)).toBeGreaterThanOrEqual(300);
    expect(await transitTo(bob!)).toBeLessThan(100);
    expect(await transitTo(dave!)).toBeLessThan(100);
  });

  it("* 0 removes every delay, those set for one neighbour too: the last setting wins", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"], QUIET);
    await delay(alice!, "bob", "300ms");
    expect(await delay(alice!, "*", "0")).toMatchObject({ neighbor: "*", ms: 0, jitterMs: 0 });
    expect(await transit(alice!, bob!, "healed")).toBeLessThan(100);
  });

  it("refuses a malformed line on stderr and changes nothing", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"], QUIET);
    alice!.send("/delay bob soon");
    alice!.send("/delay bob 50ms 80ms");
    expect(await transit(alice!, bob!, "not delayed")).toBeLessThan(100);
    expect(alice!.of("delay")).toEqual([]);
    const usage = "usage: /delay NEIGHBOUR|* DURATION [JITTER], e.g. /delay bob 200ms 50ms; 0 removes the delay";
    expect(alice!.stderr).toEqual([
      `peer alice: /delay not applied: delay "soon": expected a duration such as 500ms, 2s or 1m, or 0; ${usage}`,
      `peer alice: /delay not applied: jitter 80ms is longer than the delay 50ms; ${usage}`,
    ]);
  });

  it("a delay longer than the neighbour's --timeout makes the link time out: slow looks dead", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"], ["--heartbeat", "200ms", "--timeout", "800ms"]);
    await delay(alice!, "bob", "2s");
    const down = await bob!.waitFor((e) => e.ev === "link-down", 5000);
    expect(down).toMatchObject({ neighbor: "alice", reason: "timeout" });
    expect(alice!.alive && bob!.alive).toBe(true);
  });

  it("counts held frames towards the send-queue bound: a neighbour that reads is dropped as a slow consumer", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"], QUIET);
    await delay(alice!, "bob", "1m");
    const text = "x".repeat(8000);
    const count = Math.ceil(MAX_SEND_QUEUE_BYTES / text.length) + 5;
    for (let i = 0; i < count; i++) alice!.send(text);
    const slow = await alice!.waitFor((e) => e.ev === "slow-consumer");
    expect(slow).toMatchObject({ neighbor: "bob", queued: expect.any(Number) });
    expect((slow as { queued: number }).queued).toBeGreaterThan(MAX_SEND_QUEUE_BYTES);
    await alice!.waitFor((e) => e.ev === "link-down" && e.neighbor === "bob");
    expect(alice!.of("link-down")).toMatchObject([{ neighbor: "bob", reason: "slow-consumer" }]);
    expect(bob!.of("recv")).toEqual([]);
  });

  it("drops held frames when it exits, and exits at once", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"], QUIET);
    await delay(alice!, "bob", "5s");
    alice!.send("never");
    await alice!.waitFor((e) => e.ev === "sent" && e.text === "never");
    const stopping = Date.now();
    alice!.kill("SIGTERM");
    expect(await alice!.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopping).toBeLessThan(1000);
    await bob!.waitFor((e) => e.ev === "link-down" && e.neighbor === "alice");
    expect(bob!.of("recv")).toEqual([]);
  });
});
