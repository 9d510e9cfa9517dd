import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PeerPool, memoryOf, rawNeighbor } from "./peer-process.js";

const FAST = ["--heartbeat", "200ms", "--timeout", "800ms"];
const pool = new PeerPool();
const sockets: Socket[] = [];
afterEach(() => {
  pool.killAll();
  for (const socket of sockets.splice(0)) socket.destroy();
});

async function raw(port: number, name: string): Promise<Socket> {
  const socket = await rawNeighbor(port, name);
  sockets.push(socket);
  return socket;
}

/** A plain TCP connection that says nothing unless told to. */
function silent(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.on("error", () => {});
    sockets.push(socket);
  });
}

const addressOf = (socket: Socket): string => `127.0.0.1:${socket.localPort}`;
/** Resolves when the peer has closed the socket; reads (and discards) what it sent, or the end would never be seen. */
const closed = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once("close", () => resolve());
    socket.resume();
  });

describe("the reference peer under hostile input", () => {
  it("refuses a frame that would grow past the frame limit when forwarded, and keeps its good links", async () => {
    const [alice, bob, carol] = await pool.chain(["alice", "bob", "carol"]);
    const mallory = await raw(bob!.port, "mallory");
    await bob!.waitFor((e) => e.ev === "link-up" && e.neighbor === "mallory");
    // 25,000 invalid UTF-8 bytes: a 25 KB frame that decodes to 25,000 U+FFFD, 75 KB once re-encoded.
    const head = Buffer.from('{"type":"msg","id":"mallory:x:1","origin":"mallory","hops":1,"text":"');
    mallory.write(Buffer.concat([head, Buffer.alloc(25_000, 0xff), Buffer.from('"}\n')]));
    const bad = await bob!.waitFor((e) => e.ev === "bad-frame" && e.neighbor === "mallory");
    expect(bad).toMatchObject({
      reason: expect.stringMatching(/^invalid msg frame: text: a message is at most 8192 bytes as JSON/),
    });
    await bob!.waitFor((e) => e.ev === "link-down" && e.neighbor === "mallory");
    await closed(mallory);
    alice!.send("still linked");
    await carol!.waitFor((e) => e.ev === "recv" && e.text === "still linked");
    for (const peer of [alice!, carol!])
      expect(peer.events.filter((e) => e.ev === "link-down" || e.ev === "bad-frame")).toEqual([]);
    expect(bob!.of("link-down").map((e) => e.neighbor)).toEqual(["mallory"]);
  });

  it("drops a neighbour that never reads as a slow consumer, with bounded memory, and keeps the others", async () => {
    const quiet = ["--heartbeat", "5s", "--timeout", "60s"];
    const [bob, carol] = await pool.chain(["bob", "carol"], quiet);
    const sink = await raw(bob!.port, "sink");
    sink.pause();
    const source = await raw(bob!.port, "source");
    await bob!.waitForLinks(["sink", "source"]);
    const before = memoryOf(bob!.child.pid!).rss;
    const text = "x".repeat(8000);
    const limit = 96 * 2 ** 20;
    let written = 0;
    for (let seq = 1; written < limit && bob!.of("slow-consumer").length === 0; seq++) {
      const frame = `${JSON.stringify({ type: "msg", id: `source:x:${seq}`, origin: "source", text, hops: 1 })}\n`;
      written += frame.length;
      if (!source.write(frame)) await new Promise((resolve) => source.once("drain", resolve));
      // Keep pace with bob's events, so what grows is what bob queues for the sink, not its stdout to this test.
      if (seq % 32 === 0) await bob!.waitFor((e) => e.ev === "recv" && e.id === `source:x:${seq - 31}`);
    }
    const grown = memoryOf(bob!.child.pid!).peak - before;
    expect(
      grown,
      `bob's peak RSS grew by ${(grown / 2 ** 20).toFixed(1)} MiB after ${(written / 2 ** 20).toFixed(1)} MiB sent`,
    ).toBeLessThan(48 * 2 ** 20);
    const slow = await bob!.waitFor((e) => e.ev === "slow-consumer");
    expect(slow).toMatchObject({ neighbor: "sink" });
    expect(await bob!.waitFor((e) => e.ev === "link-down" && e.neighbor === "sink")).toMatchObject({
      reason: "slow-consumer",
    });
    await carol!.waitFor((e) => e.ev === "recv" && e.id === "source:x:1");
    expect(carol!.of("link-down")).toEqual([]);
    expect(bob!.of("link-down").map((e) => e.neighbor)).toEqual(["sink"]);
    expect(bob!.alive).toBe(true);
  });

  it("stops reading its neighbours while its stdout is not read, then prints every event", async () => {
    const alice = await pool.start("alice", ["--heartbeat", "30s", "--timeout", "60s"]);
    const source = await raw(alice.port, "source");
    await alice.waitFor((e) => e.ev === "link-up");
    alice.child.stdout.pause();
    // 20 MB of messages, 40 MB of events: more than TCP buffers hold.
    const count = 200_000;
    let flood = "";
    for (let i = 0; i < count; i++)
      flood += `{"type":"msg","id":"s:${i}","origin":"source","text":"flood ${i} ${"x".repeat(60)}","hops":1}\n`;
    const drained = new Promise<boolean>((resolve) => {
      if (source.write(flood)) resolve(true);
      source.once("drain", () => resolve(true));
      // Without the backpressure the peer reads it all (its output piling up in memory) within a second.
      setTimeout(() => resolve(false), 3000);
    });
    expect(await drained).toBe(false);
    expect(source.writableLength).toBeGreaterThan(1024 * 1024);
    alice.child.stdout.resume();
    await alice.waitFor((e) => e.ev === "recv" && e.id === `s:${count - 1}`, 60_000);
    expect(alice.of("recv")).toHaveLength(count);
  }, 90_000);

  it("closes a connection whose hello trickles in slower than the handshake deadline, with an event", async () => {
    const alice = await pool.start("alice", FAST);
    const trickler = await silent(alice.port);
    const hello = `${JSON.stringify({ type: "hello", name: "slowpoke", listen: "x:1", version: 1 })}\n`;
    let sent = 0;
    const drip = setInterval(() => trickler.write(hello[sent++ % hello.length]!), 100);
    try {
      const failed = await alice.waitFor((e) => e.ev === "handshake-failed", 5000);
      expect(failed).toMatchObject({ addr: addressOf(trickler), dir: "in", reason: "handshake timeout" });
      await closed(trickler);
      expect(sent).toBeLessThan(hello.length);
    } finally {
      clearInterval(drip);
    }
  });

  it("closes a silent connection after the handshake deadline, and reports every close before hello", async () => {
    const alice = await pool.start("alice", FAST);
    const mute = await silent(alice.port);
    const failed = await alice.waitFor((e) => e.ev === "handshake-failed", 5000);
    expect(failed).toMatchObject({ addr: addressOf(mute), dir: "in", reason: "handshake timeout" });
    await closed(mute);
    const quitter = await silent(alice.port);
    const address = addressOf(quitter);
    quitter.end();
    expect(await alice.waitFor((e) => e.ev === "handshake-failed" && e.addr === address)).toMatchObject({
      reason: "eof",
    });
  });

  it("takes a line with a carriage return inside as one message, and refuses it", async () => {
    const [alice, bob] = await pool.chain(["alice", "bob"]);
    alice!.child.stdin.write("hello\r/quit\n");
    alice!.child.stdin.write("fine\r\n");
    await bob!.waitFor((e) => e.ev === "recv" && e.text === "fine");
    expect(alice!.alive).toBe(true);
    expect(alice!.of("sent").map((e) => e.text)).toEqual(["fine"]);
    expect(alice!.stderr.join("\n")).toMatch(
      /message not sent: a message cannot contain control characters \(found U\+000D at position 5\)/,
    );
    alice!.send("/peers");
    expect(await alice!.waitFor((e) => e.ev === "peers")).toMatchObject({ neighbors: ["bob"] });
  });
});
