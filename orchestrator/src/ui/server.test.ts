import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CountingRuntime } from "../../../test/support/counting-runtime.js";
import { MemoryLabs, resultsDir, shipped, upOptions } from "../../../test/support/memory-lab.js";
import { EventStream, httpRequest } from "../../../test/support/sse.js";
import { uiAction } from "../cli/ui-actions.js";
import { InputError } from "../errors.js";
import type { Lab } from "../lab/lab.js";
import { down } from "../lab/down.js";
import { saveResults } from "../lab/results.js";
import { up } from "../lab/up.js";
import { untilAborted, waitFor } from "../wait.js";
import type { MemoryRuntime } from "../runtime/memory-runtime.js";
import type { UiActionRequest, UiActionResult, UiFeedItem, UiHello, UiLabDown, UiStatus } from "./protocol.js";
import { CONTENT_SECURITY_POLICY } from "./request-guard.js";
import { MAX_PAGES, REQUEST_TIMEOUT_MS, startUiServer, type UiServer } from "./server.js";

const labs = new MemoryLabs();
const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
  await labs.closeAll();
});

interface Served {
  lab: Lab;
  runtime: MemoryRuntime;
  server: UiServer;
  results: string;
  token: string;
  counting: CountingRuntime;
}

/** The chain lab on a memory runtime (counted), served on a free loopback port. */
async function serve(): Promise<Served> {
  const runtime = labs.runtime();
  const counting = new CountingRuntime(runtime);
  const { lab } = await up(counting.runtime, shipped("topologies/chain.yaml"), upOptions());
  const results = resultsDir();
  const server = await startUiServer({
    lab,
    host: "127.0.0.1",
    port: 0,
    signal: new AbortController().signal,
    resultsDir: results,
    act: (request, signal) => uiAction(lab, request, signal),
  });
  opened.push(server);
  const page = await httpRequest(server.url, { headers: { Host: new URL(server.url).host } });
  const token = /<meta name="p2plab-token" content="([^"]+)">/.exec(page.body)![1]!;
  return { lab, runtime, server, results, token, counting };
}

async function events(served: Served): Promise<EventStream> {
  const stream = await EventStream.open(`${served.server.url}events`);
  opened.push(stream);
  return stream;
}

/** POSTs an action as the page does, with headers changed or left out as a test says. */
async function act(
  served: Served,
  action: UiActionRequest,
  headers: Record<string, string | undefined> = {},
): Promise<{ status: number; result: UiActionResult }> {
  const own = new URL(served.server.url);
  const all: Record<string, string | undefined> = {
    Host: own.host,
    Origin: own.origin,
    "Sec-Fetch-Site": "same-origin",
    "Content-Type": "application/json",
    "X-P2plab-Token": served.token,
    ...headers,
  };
  const sent = Object.fromEntries(
    Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const response = await httpRequest(`${served.server.url}api/action`, {
    method: "POST",
    headers: sent,
    body: JSON.stringify(action),
  });
  return { status: response.status, result: JSON.parse(response.body) as UiActionResult };
}

const status = (peer: string) => (data: UiStatus) => data.overlay.states[peer];

describe("lab ui's server, on a memory runtime", () => {
  it("serves the page with its token, the content security policy and the other security headers", async () => {
    const served = await serve();
    const page = await httpRequest(served.server.url, { headers: { Host: new URL(served.server.url).host } });
    expect(page.status).toBe(200);
    expect(served.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.headers["cache-control"]).toBe("no-store");
  });

  it("refuses a page asked for under another Host name (DNS rebinding)", async () => {
    const served = await serve();
    const port = new URL(served.server.url).port;
    const page = await httpRequest(served.server.url, { headers: { Host: `attacker.example:${port}` } });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain(served.token);
  });

  it("says hello with the lab's peers and links, then both pages see a kill done through the API", async () => {
    const served = await serve();
    const [first, second] = [await events(served), await events(served)];
    const hello = await first.next<UiHello>("hello");
    expect(hello.lab).toBe("chain");
    expect(hello.peers).toEqual(["alice", "bob", "carol", "dave"]);
    expect(hello.links).toEqual(served.lab.topology.links);
    expect(hello.links).toHaveLength(3);
    expect(hello.status.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
    expect(hello.feed.length).toBeGreaterThan(0);
    const { status: code, result } = await act(served, { action: "kill", peer: "bob" });
    expect(code).toBe(200);
    expect(result).toEqual({
      ok: true,
      lines: ["killed bob (SIGKILL); now killed", "partitions: {alice, bob, carol, dave} → {alice} {carol, dave}"],
    });
    for (const stream of [first, second]) {
      const killed = await stream.next<UiStatus>("status", (data) => status("bob")(data) === "killed", 2000);
      expect(killed.line).toMatch(/^partitions: \{alice\} \{carol, dave\}/);
    }
    const recording = await served.lab.recording();
    expect(recording.actions.map(({ action, target }) => ({ action, target }))).toContainEqual({
      action: "kill",
      target: "bob",
    });
  });

  it("a page sees a change within 250 ms of the engine's event, however it was caused", async () => {
    const served = await serve();
    const stream = await events(served);
    await stream.next("hello");
    const { peers } = await served.lab.containers();
    const killedAt = Date.now();
    await served.runtime.kill(peers.get("carol")!.id, "SIGKILL");
    await stream.next<UiStatus>("status", (data) => status("carol")(data) === "killed", 1000);
    expect(Date.now() - killedAt).toBeLessThan(250);
  });

  it("a message sent through the API shows in the feed", async () => {
    const served = await serve();
    const stream = await events(served);
    const { status: code, result } = await act(served, { action: "send", peer: "alice", text: "hello from the page" });
    expect(code).toBe(200);
    expect(result.ok && result.lines[0]).toMatch(/^alice sent "hello from the page"/);
    const batch = await stream.next<UiFeedItem[]>("feed", (items) =>
      items.some((item) => item.peer === "dave" && item.event?.ev === "recv"),
    );
    expect(batch.find((item) => item.event?.ev === "recv")!.text).toContain("hello from the page");
  });

  it("a page opened after many long messages still gets its hello, larger than a page may fall behind", async () => {
    const served = await serve();
    const first = await events(served);
    const { peers } = await served.lab.containers();
    const long = "x".repeat(8000);
    for (let i = 0; i < 30; i++) await served.runtime.writeLine(peers.get("alice")!.id, `${i} ${long}`);
    await first.next<UiFeedItem[]>("feed", (items) =>
      items.some((item) => item.peer === "dave" && item.event?.ev === "recv" && item.event.text.startsWith("29 ")),
    );
    const late = await events(served);
    const hello = await late.next<UiHello>("hello");
    expect(JSON.stringify(hello).length).toBeGreaterThan(1 << 20);
  });

  it("a network fault is asked in the CLI's words and answered with its lines", async () => {
    const served = await serve();
    const stream = await events(served);
    const { status: code, result } = await act(served, { action: "cut", args: ["bob", "carol"] });
    expect(code).toBe(200);
    expect(result.ok && result.lines).toContain("network faults in force: cut bob ↔ carol");
    await stream.next<UiStatus>("status", (data) => data.line.includes("cut bob ↔ carol"));
    const flags = await act(served, { action: "cut", args: ["alice", "bob", "--sideways"] });
    expect(flags).toEqual({
      status: 400,
      result: { ok: false, error: "lab cut: unknown option '--sideways'", hint: "see lab cut --help" },
    });
  });

  it("refuses an action without the token, from another origin or site, under another Host, or not JSON", async () => {
    const served = await serve();
    const kill: UiActionRequest = { action: "kill", peer: "bob" };
    const port = new URL(served.server.url).port;
    expect((await act(served, kill, { "X-P2plab-Token": undefined })).status).toBe(403);
    expect((await act(served, kill, { "X-P2plab-Token": served.token.replace(/.$/, "x") })).status).toBe(403);
    expect((await act(served, kill, { Origin: "http://evil.example" })).status).toBe(403);
    expect((await act(served, kill, { "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect(
      (await act(served, kill, { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` })).status,
    ).toBe(403);
    expect((await act(served, kill, { "Content-Type": "text/plain" })).status).toBe(415);
    const refused = await act(served, kill, { Origin: "http://evil.example" });
    expect(refused.result).toEqual({ ok: false, error: expect.stringContaining("refused") });
    expect((await served.lab.recording()).actions.map((action) => action.action)).toEqual(["up"]);
  });

  it("refuses a bad peer name with the CLI's message and fix, and a body that is too large", async () => {
    const served = await serve();
    const { status: code, result } = await act(served, { action: "kill", peer: "bobb" });
    expect(code).toBe(400);
    expect(result).toEqual({
      ok: false,
      error: 'unknown peer "bobb" in lab chain (known: alice, bob, carol, dave)',
      hint: 'did you mean "bob"?',
    });
    const large = await act(served, { action: "send", peer: "alice", text: "x".repeat(17 * 1024) });
    expect(large.status).toBe(413);
  });

  it("does one action at a time, in the order asked: a second page's action waits its turn", async () => {
    const served = await serve();
    const [slow, second, again] = await Promise.all([
      act(served, { action: "restart", peer: "dave" }),
      act(served, { action: "kill", peer: "bob" }),
      act(served, { action: "kill", peer: "bob" }),
    ]);
    expect(slow.status).toBe(200);
    expect(second.status).toBe(200);
    // As from one shell: the second kill of bob finds him killed, and says what to do instead.
    expect(again).toEqual({
      status: 400,
      result: { ok: false, error: "cannot kill bob: it is killed", hint: "try lab start bob" },
    });
    const actions = (await served.lab.recording()).actions.map((action) => `${action.action} ${action.target}`);
    expect(actions.slice(-2)).toEqual(["restart dave", "kill bob"]);
  });

  it("on Ctrl-C finishes the action under way, so its journal entry is written, and does none that waits its turn", async () => {
    const served = await serve();
    const ctrlC = new AbortController();
    const done: string[] = [];
    let started!: () => void;
    const underWay = new Promise<void>((resolve) => (started = resolve));
    const server = await startUiServer({
      lab: served.lab,
      host: "127.0.0.1",
      port: 0,
      signal: ctrlC.signal,
      resultsDir: served.results,
      act: async (request, signal) => {
        started();
        // As control() does: the engine's part is not cut short (here it lasts until Ctrl-C); only the waiting after it is.
        await untilAborted(signal);
        done.push(`${request.action} ${"peer" in request ? request.peer : ""} (aborted: ${signal.aborted})`);
        // What follows the engine's part (settling, links coming back) is waited for no longer.
        signal.throwIfAborted();
        return [];
      },
    });
    opened.push(server);
    const page = await httpRequest(server.url, { headers: { Host: new URL(server.url).host } });
    const token = /<meta name="p2plab-token" content="([^"]+)">/.exec(page.body)![1]!;
    const other = { ...served, server, token };
    const first = act(other, { action: "stop", peer: "bob" }).catch(() => undefined);
    const second = act(other, { action: "kill", peer: "carol" }).catch(() => undefined);
    await underWay;
    ctrlC.abort();
    await server.close();
    expect(done).toEqual(["stop bob (aborted: true)"]);
    expect(await first).toEqual({
      status: 503,
      result: { ok: false, error: "lab ui is stopping: stop cut short", hint: "lab status shows what was done" },
    });
    // Refused as lab ui stops, or cut off with the connections if it came in after: never done.
    expect([undefined, 503]).toContain((await second)?.status);
    expect(done).toEqual(["stop bob (aborted: true)"]);
  });

  it("hangs up on a request whose body never comes whole (slowloris), and keeps the event streams open", async () => {
    const served = await serve();
    const stream = await events(served);
    await stream.next("hello");
    const { hostname, port, host } = new URL(served.server.url);
    const socket = connect(Number(port), hostname);
    socket.on("error", () => undefined);
    const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now())));
    const sentAt = Date.now();
    socket.write(
      `POST /api/action HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nX-P2plab-Token: ${served.token}\r\nContent-Length: 100\r\n\r\n{`,
    );
    const dripping = setInterval(() => socket.write(" "), 500);
    const closedAt = await Promise.race([
      closed,
      new Promise<number>((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + 3000, -1)),
    ]);
    clearInterval(dripping);
    socket.destroy();
    expect(closedAt, "the server should have hung up").toBeGreaterThan(0);
    expect(closedAt - sentAt).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
    await served.runtime.kill((await served.lab.containers()).peers.get("bob")!.id, "SIGKILL");
    await stream.next<UiStatus>("status", (data) => status("bob")(data) === "killed");
  }, 20_000);

  it(`opens at most ${MAX_PAGES} event streams at once, so pages cannot hold the server's memory without bound`, async () => {
    const served = await serve();
    const streams = await Promise.all(Array.from({ length: MAX_PAGES }, () => events(served)));
    await Promise.all(streams.map((stream) => stream.next("hello")));
    const refused = await fetch(`${served.server.url}events`, { signal: AbortSignal.timeout(5000) });
    expect(refused.status).toBe(503);
    expect(await refused.text()).toBe(`${MAX_PAGES} pages are open on this lab already: close one, then reload`);
    streams[0]!.close();
    const reopen = async () => {
      const late = await EventStream.open(`${served.server.url}events`).catch(() => undefined);
      if (late) opened.push(late);
      return late;
    };
    const late = await waitFor(reopen, {
      what: "a stream once a page closed",
      intervalMs: 50,
      timeoutMs: 5000,
      signal: new AbortController().signal,
    });
    await late.next("hello");
  });

  it("answers the browser's favicon request with nothing rather than an error", async () => {
    const served = await serve();
    const favicon = await httpRequest(`${served.server.url}favicon.ico`, {
      headers: { Host: new URL(served.server.url).host },
    });
    expect(favicon.status).toBe(204);
  });

  it("pages ask the engine nothing: opening them, their hellos and the page itself cost no request", async () => {
    const served = await serve();
    served.counting.reset();
    const streams = await Promise.all([events(served), events(served), events(served)]);
    await Promise.all(streams.map((stream) => stream.next("hello")));
    await httpRequest(served.server.url, { headers: { Host: new URL(served.server.url).host } });
    expect(served.counting.calls).toEqual({});
  });

  it("tells the pages when the lab is brought down, where its transcripts went, and serves the report saved there", async () => {
    const served = await serve();
    const stream = await events(served);
    await stream.next("hello");
    // As `lab run` leaves it: transcripts and a report, then the lab removed.
    const { dir } = await saveResults(served.results, "chain", await served.lab.recording(), (into) =>
      writeFile(join(into, "report.html"), "<!doctype html><title>the report</title>"),
    );
    await down(served.runtime, "chain", { save: false, resultsDir: served.results });
    const ended = await stream.next<UiLabDown>("lab-down");
    expect(ended.message).toBe(`lab chain was brought down; its transcripts were saved to ${dir}`);
    expect(ended.report).toBe("/saved/report.html");
    const report = await httpRequest(`${served.server.url}saved/report.html`, {
      headers: { Host: new URL(served.server.url).host },
    });
    expect(report.body).toContain("the report");
    const late = await events(served);
    expect((await late.next<UiLabDown>("lab-down")).message).toBe(ended.message);
    expect(await served.server.ended).toBe(ended.message);
  });

  it("tells the pages when the engine stops answering, with the fix", async () => {
    const served = await serve();
    const stream = await events(served);
    await stream.next("hello");
    served.runtime.stopAnswering();
    const gone = await stream.next<{ message: string }>("engine-gone");
    expect(gone.message).toMatch(/^no Docker engine answers at memory \(ECONNREFUSED\); fix: start the engine/);
    expect(await served.server.ended).toBe(gone.message);
  });
});

describe("lab ui's server, where it cannot listen", () => {
  it("a port in use is the user's to change, and nothing is left following the lab", async () => {
    const served = await serve();
    const port = Number(new URL(served.server.url).port);
    const again = startUiServer({
      lab: served.lab,
      host: "127.0.0.1",
      port,
      signal: new AbortController().signal,
      resultsDir: served.results,
      act: async () => [],
    });
    await expect(again).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    await expect(again).rejects.toBeInstanceOf(InputError);
  });
});
