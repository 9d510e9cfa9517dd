import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import type { Frame, MsgFrame } from "../src/wire.js";
import { PeerPool, type PeerProcess, until } from "./peer-process.js";

const HEAL = ["--mode", "heal", "--heartbeat", "200ms", "--timeout", "800ms", "--graft-timeout", "200ms"];
const pool = new PeerPool();
const sockets: Socket[] = [];
afterEach(() => {
  pool.killAll();
  for (const socket of sockets.splice(0)) socket.destroy();
});

/** A hand-driven neighbour: says hello (with `speaks` when given) and keeps every frame it is sent. */
async function neighbour(port: number, name: string, speaks?: string[]) {
  const frames: Frame[] = [];
  const socket = await new Promise<Socket>((resolve) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", () => {});
  });
  sockets.push(socket);
  createInterface({ input: socket }).on("line", (line) => frames.push(JSON.parse(line) as Frame));
  const write = (frame: object): void => void socket.write(`${JSON.stringify(frame)}\n`);
  write({ type: "hello", name, listen: `${name}:0`, version: 1, ...(speaks ? { speaks } : {}) });
  const of = <T extends Frame["type"]>(type: T) =>
    frames.filter((f): f is Extract<Frame, { type: T }> => f.type === type);
  return { frames, write, of };
}

const shown = (peer: PeerProcess, text: string) => peer.of("recv").filter((e) => e.text === text);

describe("heal mode over loopback", () => {
  it("says it speaks heal, and sends a neighbour that does not only payloads, even when it sends duplicates and control frames", async () => {
    const h1 = await pool.start("h1", HEAL);
    const old = await neighbour(h1.port, "old");
    const h2 = await pool.start("h2", [...HEAL, "--connect", `127.0.0.1:${h1.port}`]);
    await h1.waitForLinks(["old", "h2"]);
    await until(() => old.of("hello").length === 1, "h1's hello");
    expect(old.of("hello")[0]).toMatchObject({ name: "h1", speaks: ["heal"] });

    h2.send("one");
    await until(() => old.of("msg").length === 1, "the first payload");
    old.write({ ...old.of("msg")[0]!, hops: 2 });
    await h1.waitFor((e) => e.ev === "dup" && e.from === "old");
    old.write({ type: "ihave", ids: ["h2:x:99"] });
    old.write({ type: "prune" });
    h2.send("two");
    await until(() => old.of("msg").length === 2, "the second payload");
    await h2.waitFor((e) => e.ev === "sent" && e.text === "two");
    expect(old.frames.filter((f) => !["hello", "ping", "pong", "msg"].includes(f.type))).toEqual([]);
    expect(h1.of("bad-frame")).toEqual([]);
  });

  it("prunes a heal neighbour that sent a duplicate, announces ids to it, and answers its graft with the payload", async () => {
    const h1 = await pool.start("h1", HEAL);
    const lazy = await neighbour(h1.port, "lazy", ["heal"]);
    const h2 = await pool.start("h2", [...HEAL, "--connect", `127.0.0.1:${h1.port}`]);
    await h1.waitForLinks(["lazy", "h2"]);

    h2.send("one");
    await until(() => lazy.of("msg").length === 1, "the first payload, while lazy is eager");
    lazy.write({ ...lazy.of("msg")[0]!, hops: 2 });
    await until(() => lazy.of("prune").length === 1, "a prune after the duplicate");

    h2.send("two");
    const sent = (await h2.waitFor((e) => e.ev === "sent" && e.text === "two")) as { id: string };
    await until(() => lazy.of("ihave").some((f) => f.ids.includes(sent.id)), "an ihave for the second message");
    expect(lazy.of("msg")).toHaveLength(1);
    lazy.write({ type: "graft", ids: [sent.id] });
    await until(() => lazy.of("msg").length === 2, "the payload the graft asked for");
    expect(lazy.of("msg")[1]).toMatchObject<Partial<MsgFrame>>({ id: sent.id, text: "two", hops: 2 });
  });

  it("on a triangle, a duplicate prunes the extra link; when a peer dies, the survivors graft and still show every message once", async () => {
    const h1 = await pool.start("h1", HEAL);
    const h2 = await pool.start("h2", [...HEAL, "--connect", `127.0.0.1:${h1.port}`]);
    const h3 = await pool.start("h3", [
      ...HEAL,
      "--connect",
      `127.0.0.1:${h1.port}`,
      "--connect",
      `127.0.0.1:${h2.port}`,
    ]);
    for (const [peer, others] of [
      [h1, ["h2", "h3"]],
      [h2, ["h1", "h3"]],
      [h3, ["h1", "h2"]],
    ] as const) {
      await peer.waitForLinks([...others]);
    }
    // The first broadcast crosses the cycle: two duplicates, wherever the copies raced (h2 and h3
    // each hearing h1 first, or one of them hearing the other first and h1 hearing back), and both
    // on one link, which each end then prunes: the two links left are a tree.
    h1.send("warm-up");
    const dups = () => [...h1.of("dup"), ...h2.of("dup"), ...h3.of("dup")];
    await until(() => dups().length === 2, "the warm-up's two duplicates");

    h2.send("along the tree");
    await h3.waitFor((e) => e.ev === "recv" && e.text === "along the tree");
    await h1.waitFor((e) => e.ev === "recv" && e.text === "along the tree");
    expect(shown(h3, "along the tree")).toHaveLength(1);
    // No new duplicate: the pruned link carried only the id.
    expect(dups()).toHaveLength(2);

    h1.kill("SIGKILL");
    await h2.waitFor((e) => e.ev === "link-down" && e.neighbor === "h1");
    h2.send("after the crash");
    await h3.waitFor((e) => e.ev === "recv" && e.text === "after the crash");
    h3.send("and back");
    await h2.waitFor((e) => e.ev === "recv" && e.text === "and back");
    expect(shown(h3, "after the crash")).toMatchObject([{ from: "h2" }]);
    expect(shown(h2, "and back")).toMatchObject([{ from: "h3" }]);
  });
});
