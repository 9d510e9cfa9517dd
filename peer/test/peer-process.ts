import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { parseEventLine, type PeerEvent } from "../src/events.js";

const PEER_BUNDLE = new URL("../../dist/peer.cjs", import.meta.url).pathname;

/** A reference peer running as a real process on loopback, with its events collected. */
export class PeerProcess {
  readonly events: PeerEvent[] = [];
  readonly stderr: string[] = [];
  private waiters: Array<(event: PeerEvent) => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const event = parseEventLine(line);
      // A peer killed mid-line leaves a partial last line; anything else unparsable is a bug.
      if (!event && this.child.killed) return;
      if (!event) throw new Error(`peer ${name} printed a line that is not an event: ${line}`);
      this.events.push(event);
      for (const wake of [...this.waiters]) wake(event);
    });
    createInterface({ input: child.stderr }).on("line", (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  static start(name: string, args: string[] = []): PeerProcess {
    const child = spawn(process.execPath, [PEER_BUNDLE, "--name", name, "--port", "0", "--events", "json", ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new PeerProcess(name, child);
  }

  /** Starts a peer and waits until it listens; resolves with its port. */
  static async listening(name: string, args: string[] = []): Promise<PeerProcess & { port: number }> {
    const peer = PeerProcess.start(name, args);
    const event = await peer.waitFor((e) => e.ev === "listening");
    return Object.assign(peer, { port: event.ev === "listening" ? event.port : 0 });
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  of<K extends PeerEvent["ev"]>(ev: K): Array<Extract<PeerEvent, { ev: K }>> {
    return this.events.filter((e): e is Extract<PeerEvent, { ev: K }> => e.ev === ev);
  }

  /** Resolves with the first event (past or future) matching the predicate. */
  waitFor(predicate: (event: PeerEvent) => boolean, timeoutMs = 10_000): Promise<PeerEvent> {
    return new Promise((resolve, reject) => {
      const past = this.events.find(predicate);
      if (past) return resolve(past);
      // Only the new event needs testing: the earlier ones all failed already.
      const wake = (event: PeerEvent): void => {
        if (!predicate(event)) return;
        done();
        resolve(event);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${this.name}: no matching event within ${timeoutMs} ms; last events:\n${this.recent()}\nstderr:\n${this.stderr.slice(-10).join("\n")}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== wake);
      };
      this.waiters.push(wake);
    });
  }

  /** The last events, each cut short: enough to see what happened without flooding the report. */
  private recent(count = 20): string {
    return this.events
      .slice(-count)
      .map((e) => {
        const line = JSON.stringify(e);
        return line.length > 240 ? `${line.slice(0, 240)}…` : line;
      })
      .join("\n");
  }

  /** Waits until the peer has `count` links up to the named neighbours. */
  async waitForLinks(neighbors: string[], timeoutMs = 10_000): Promise<void> {
    for (const neighbor of neighbors) {
      await this.waitFor((e) => e.ev === "link-up" && e.neighbor === neighbor, timeoutMs);
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.alive) this.child.kill(signal);
  }
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `holds()` is true, looking every 20 ms; rejects after `timeoutMs`, naming what it waited for. */
export async function until(holds: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !holds(); await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
  }
}

/** Starts peers in a line, each connecting to the previous one, and waits until all links are up. */
export async function chain(names: string[], args: string[] = []): Promise<Array<PeerProcess & { port: number }>> {
  const peers: Array<PeerProcess & { port: number }> = [];
  for (const name of names) {
    const previous = peers.at(-1);
    peers.push(
      await PeerProcess.listening(name, [...args, ...(previous ? ["--connect", `127.0.0.1:${previous.port}`] : [])]),
    );
  }
  for (const [i, peer] of peers.entries()) {
    await peer.waitForLinks([peers[i - 1]?.name, peers[i + 1]?.name].filter((n): n is string => n !== undefined));
  }
  return peers;
}

/** The peers one test started, to be killed after it (paused ones too). */
export class PeerPool {
  private running: PeerProcess[] = [];

  async chain(names: string[], args: string[] = []): Promise<Array<PeerProcess & { port: number }>> {
    const peers = await chain(names, args);
    this.running.push(...peers);
    return peers;
  }

  async start(name: string, args: string[] = []): Promise<PeerProcess & { port: number }> {
    const peer = await PeerProcess.listening(name, args);
    this.running.push(peer);
    return peer;
  }

  killAll(): void {
    for (const peer of this.running) {
      peer.kill("SIGCONT");
      peer.kill("SIGKILL");
    }
    this.running = [];
  }
}

/** Connects a raw socket that says hello as `name`, to play a misbehaving neighbour. */
export function rawNeighbor(port: number, name = "raw"): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`${JSON.stringify({ type: "hello", name, listen: "raw:0", version: 1 })}\n`);
      resolve(socket);
    });
    socket.on("error", () => {});
  });
}

/** A process's resident memory from /proc, in bytes: now (VmRSS) and its peak so far (VmHWM). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]) * 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}
