import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// The C example, compiled with the host's C compiler and run as plain processes on loopback:
// what it does, and the assignment's weaknesses it keeps on purpose (README.md).

const SOURCE_DIR = new URL(".", import.meta.url).pathname;
const WAIT_MS = 5_000;

let buildDir = "";
let binary = "";

beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), "p2pchat-"));
  binary = join(buildDir, "p2pchat");
  try {
    execFileSync("make", ["-s", "-C", SOURCE_DIR, `OUT=${binary}`], { stdio: "pipe" });
  } catch (error) {
    const output = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(
      `building examples/c-p2pchat needs make and a C compiler (Debian: apt-get install gcc libc6-dev make): ${(error as Error).message}\n${output}`,
    );
  }
});

afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

type Stream = "stdout" | "stderr";

/** One running ./p2pchat: its output as lines, what to type into it, how it ended. */
interface Chat {
  name: string;
  pid: number;
  port: number;
  lines: Record<Stream, string[]>;
  /** Resolves once `pattern` has matched `times` lines of `stream`; rejects after WAIT_MS with what it printed. */
  waitFor(stream: Stream, pattern: RegExp, times?: number): Promise<void>;
  count(stream: Stream, pattern: RegExp): number;
  /** Writes the lines to its stdin; resolves once they reached the pipe. */
  type(...lines: string[]): Promise<void>;
  signal(signal: NodeJS.Signals): void;
  ended: Promise<Ended>;
  /** Resolves with how it ended; rejects if it is still running after WAIT_MS. */
  waitForEnd(): Promise<Ended>;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running: Chat[] = [];

afterEach(async () => {
  const chats = running.splice(0);
  for (const chat of chats) chat.signal("SIGKILL");
  await Promise.all(chats.map((chat) => chat.ended));
});

/** Starts `./p2pchat name [host port ...]` and waits for its ready line and each outgoing connection. */
async function start(name: string, ...peers: Chat[]): Promise<Chat> {
  const child = spawn(binary, [name, ...peers.flatMap((peer) => ["127.0.0.1", String(peer.port)])]);
  const lines: Record<Stream, string[]> = { stdout: [], stderr: [] };
  const waiters = new Set<() => void>();
  for (const stream of ["stdout", "stderr"] as const) {
    let partial = "";
    child[stream].setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      lines[stream].push(...parts);
      waiters.forEach((check) => check());
    });
  }
  const ended = new Promise<Ended>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const count = (stream: Stream, pattern: RegExp): number => lines[stream].filter((line) => pattern.test(line)).length;
  const printed = (): string => `stdout:\n${lines.stdout.join("\n")}\nstderr:\n${lines.stderr.join("\n")}`;
  const chat: Chat = {
    name,
    pid: child.pid ?? -1,
    port: 0,
    lines,
    count,
    waitFor: (stream, pattern, times = 1) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (count(stream, pattern) < times) return;
          settle();
          resolve();
        };
        const timer = setTimeout(() => {
          settle();
          reject(
            new Error(
              `${name}: ${pattern} not printed ${times}× on ${stream} within ${WAIT_MS} ms; it printed\n${printed()}`,
            ),
          );
        }, WAIT_MS);
        const settle = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    type: (...typed) =>
      new Promise((resolve, reject) =>
        child.stdin.write(typed.map((line) => `${line}\n`).join(""), (error) => (error ? reject(error) : resolve())),
      ),
    signal: (signal) => void child.kill(signal),
    ended,
    waitForEnd: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name} still running after ${WAIT_MS} ms; it printed\n${printed()}`)),
          WAIT_MS,
        );
        void ended.then((end) => (clearTimeout(timer), resolve(end)));
      }),
  };
  running.push(chat);
  await chat.waitFor("stdout", /^listening on port \d+$/);
  chat.port = Number(/\d+/.exec(lines.stdout[0] ?? "")?.[0]);
  await chat.waitFor("stderr", /^connected to /, peers.length);
  return chat;
}

/** The chain alice ← bob ← carol ← dave (each dials the one before it), every link accepted. */
async function chainOfFour(): Promise<Chat[]> {
  const alice = await start("alice");
  const bob = await start("bob", alice);
  const carol = await start("carol", bob);
  const dave = await start("dave", carol);
  await Promise.all([alice, bob, carol].map((chat) => chat.waitFor("stderr", /^accepted connection from /)));
  return [alice, bob, carol, dave];
}

/** A raw TCP neighbour, to see the frames on the wire. */
async function rawNeighbour(of: Chat): Promise<Socket> {
  const socket = connect(of.port, "127.0.0.1");
  await once(socket, "connect");
  await of.waitFor("stderr", /^accepted connection from /);
  return socket;
}

/** Waits until the kernel reports the process stopped (state T), so nothing it does can race the test. */
async function stopped(chat: Chat): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!/^\d+ \(.*\) T /.test(readFileSync(`/proc/${chat.pid}/stat`, "utf8"))) {
    if (Date.now() > deadline) throw new Error(`${chat.name} did not stop within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("examples/c-p2pchat", () => {
  it("prints its ready line and refuses a bad command line with its usage", async () => {
    const alice = await start("alice");
    expect(alice.lines.stdout[0]).toMatch(/^listening on port \d+$/);
    expect(alice.port).toBeGreaterThan(0);
    const bad = execFileStatus([binary, "alice", "127.0.0.1"]);
    expect(bad).toEqual({
      status: 2,
      stderr: expect.stringMatching(/^usage: .*p2pchat <username> \[<peer-host> <peer-port> \.\.\.\]\n$/),
    });
    expect(execFileStatus([binary, "al:ce"])).toEqual({
      status: 2,
      stderr: expect.stringMatching(/^invalid username "al:ce"/),
    });
  });

  it("sends frames as username TAB text LF and prints a frame split across reads as username: text", async () => {
    const alice = await start("alice");
    const wire = await rawNeighbour(alice);
    let received = "";
    wire.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
    await alice.type("hello, world");
    await expect.poll(() => received, { timeout: WAIT_MS }).toBe("alice\thello, world\n");

    wire.write("mall");
    wire.write("ory\thi\tthere\r\n");
    await alice.waitFor("stdout", /^mallory: hi\tthere\r$/);
  });

  it("refuses a typed line too long for a frame and drops an oversized frame, then carries on", async () => {
    const alice = await start("alice");
    const wire = await rawNeighbour(alice);
    let received = "";
    wire.setEncoding("utf8").on("data", (chunk: string) => (received += chunk));
    // 16,384 bytes per frame, newline included: "alice\t" + 16,377 + "\n" fits, one more does not.
    await alice.type("x".repeat(16_378), "x".repeat(16_377));
    await alice.waitFor("stderr", /^line too long for a frame \(16378 bytes\), not sent$/);
    await expect.poll(() => received.length, { timeout: WAIT_MS }).toBe(16_384);

    wire.write(`mallory\t${"y".repeat(20_000)}\nmallory\tafter\n`);
    await alice.waitFor("stdout", /^mallory: after$/);
    expect(alice.lines.stdout.slice(1)).toEqual(["mallory: after"]);
    expect(alice.lines.stderr).toContain("line from 127.0.0.1:" + wire.localPort + " longer than 16383 bytes, dropped");
  });

  it("a line typed into the first of a chain of four appears as alice: hello on the other three", async () => {
    const [alice, bob, carol, dave] = await chainOfFour();
    await alice!.type("hello");
    for (const chat of [bob!, carol!, dave!]) await chat.waitFor("stdout", /^alice: hello$/);
    expect(bob!.lines.stdout.slice(1)).toEqual(["alice: hello"]);
  });

  it("killing the middle of a chain partitions it: nothing crosses the gap", async () => {
    const [alice, bob, carol, dave] = await chainOfFour();
    bob!.signal("SIGKILL");
    await alice!.waitFor("stderr", /^lost neighbour 127\.0\.0\.1:\d+: closed the connection \(0 left\)$/);
    await carol!.waitFor("stderr", /^lost neighbour 127\.0\.0\.1:\d+: closed the connection \(1 left\)$/);

    await alice!.type("anyone?");
    await alice!.waitFor("stderr", /^no neighbours: message not sent$/);
    await dave!.type("still here");
    await carol!.waitFor("stdout", /^dave: still here$/);
    expect(alice!.lines.stdout.slice(1)).toEqual([]);
    expect([carol!, dave!].map((chat) => chat.count("stdout", /anyone\?/))).toEqual([0, 0]);
  });

  it("a ring of three loops a message forever: each peer keeps receiving it, its author too", async () => {
    const alice = await start("alice");
    const bob = await start("bob", alice);
    const carol = await start("carol", bob, alice);
    await alice.waitFor("stderr", /^accepted connection from /, 2);
    await bob.waitFor("stderr", /^accepted connection from /);

    await alice.type("round");
    const loops = 20;
    await Promise.all([alice, bob, carol].map((chat) => chat.waitFor("stdout", /^alice: round$/, loops)));
  });

  it("after a neighbour closes, the first write to it is lost silently and the second kills with SIGPIPE", async () => {
    const alice = await twoLinesAfterClose((wire) => wire.destroy());
    expect(await alice.waitForEnd()).toEqual({ code: null, signal: "SIGPIPE" });
    expect(alice.lines.stderr.slice(1)).toEqual([]);
  });

  it("after a neighbour resets the connection, the first write to it is reported and the second kills with SIGPIPE", async () => {
    const alice = await twoLinesAfterClose((wire) => wire.resetAndDestroy());
    expect(await alice.waitForEnd()).toEqual({ code: null, signal: "SIGPIPE" });
    expect(alice.lines.stderr.slice(1)).toEqual([
      expect.stringMatching(/^write to 127\.0\.0\.1:\d+: Connection reset by peer$/),
    ]);
  });
});

/**
 * alice with one raw neighbour that `close`s its side while alice is stopped, then two typed lines:
 * when alice resumes, both are written to the closed link before it reads the close.
 */
async function twoLinesAfterClose(close: (wire: Socket) => void): Promise<Chat> {
  const alice = await start("alice");
  const wire = await rawNeighbour(alice);
  alice.signal("SIGSTOP");
  await stopped(alice);
  close(wire);
  await once(wire, "close");
  await alice.type("one", "two");
  alice.signal("SIGCONT");
  return alice;
}

/** Runs a command that is expected to fail at once; its exit status and stderr. */
function execFileStatus([file, ...args]: string[]): { status: number | null; stderr: string } {
  try {
    execFileSync(file!, args, { stdio: "pipe", timeout: WAIT_MS });
    return { status: 0, stderr: "" };
  } catch (error) {
    const failed = error as { status: number | null; stderr: Buffer };
    return { status: failed.status, stderr: failed.stderr.toString() };
  }
}
