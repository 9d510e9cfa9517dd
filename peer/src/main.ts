import { installCrashHandler } from "./crash-handler.js";
import { formatEvent } from "./event-format.js";
import type { PeerEvent, PeerEventBody } from "./events.js";
import { USAGE, parsePeerArgs } from "./options.js";
import { Peer } from "./peer.js";
import { LineSplitter, MAX_LINE_BYTES } from "./stdin-lines.js";

const parsed = parsePeerArgs(process.argv.slice(2), process.stdout.isTTY === true);
if (typeof parsed === "string") {
  process.stderr.write(`peer: ${parsed}\n\n${USAGE}\n`);
  process.exit(2);
}
if ("help" in parsed) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const options = parsed;

// A closed stdout (the reader went away) must not kill the peer; its neighbours still need it.
let stdoutClosed = false;
process.stdout.on("error", () => {
  stdoutClosed = true;
  peer.setReading(true);
});

/**
 * Events are stamped with the wall clock at microsecond resolution (`tsUs`; `ts` is the same
 * moment in ISO, to the millisecond): performance.timeOrigin is this process's start on the wall
 * clock and performance.now() the monotonic time since, so peers on one host compare to the µs.
 */
function emit(body: PeerEventBody): void {
  const nowUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const ts = new Date(Math.floor(nowUs / 1000)).toISOString();
  const event = { ts, tsUs: nowUs, peer: options.name, ...body } as PeerEvent;
  pending += `${options.events === "json" ? JSON.stringify(event) : formatEvent(event)}\n`;
  if (!flushing) {
    flushing = true;
    process.nextTick(flushEvents);
  }
}

/**
 * Event bytes stdout may hold unwritten (a pipe's writes are asynchronous) before the peer stops
 * reading from its neighbours until it drains: a flood's events then wait in the senders' TCP
 * buffers, and the peer's memory stays bounded however slowly its output is read.
 */
const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;

/**
 * The events of one tick (a chunk's messages, forwarded) go out in one write: on a pipe stdout
 * writes synchronously, one system call per event. Flushed before the process exits, too.
 */
let pending = "";
let flushing = false;
let awaitingDrain = false;
function flushEvents(): void {
  flushing = false;
  if (pending === "") return;
  const lines = pending;
  pending = "";
  process.stdout.write(lines);
  if (!stdoutClosed && !awaitingDrain && process.stdout.writableLength > MAX_EVENT_BACKLOG_BYTES) {
    awaitingDrain = true;
    peer.setReading(false);
    process.stdout.once("drain", () => {
      awaitingDrain = false;
      peer.setReading(true);
    });
  }
}

let exiting = false;
async function exit(reason: string, code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  await peer.shutdown(reason);
  emit({ ev: "exit", code, reason });
  flushEvents();
  process.exit(code);
}

function diagnose(message: string): void {
  process.stderr.write(`peer ${options.name}: ${message}\n`);
}

const peer = new Peer({
  ...options,
  emit,
  diagnose,
  quit: () => void exit("quit", 0),
});

process.on("SIGINT", () => void exit("SIGINT", 0));
if (options.crashHandler) {
  installCrashHandler(process, {
    targets: options.connect,
    connect: (target) => peer.connect(target),
    emit,
    terminate: () => void exit("SIGTERM", 0),
  });
} else {
  process.on("SIGTERM", () => void exit("SIGTERM", 0));
  process.on("uncaughtException", (error) => {
    process.stderr.write(`peer ${options.name}: internal error: ${error.stack ?? error}\n`);
    void exit(`internal error: ${error.message}`, 1);
  });
}

/** Listens, dials, then reads stdin (a CommonJS bundle has no top-level await). */
async function start(): Promise<void> {
  try {
    await peer.listen();
  } catch (error) {
    const reason = `cannot listen on port ${options.port}: ${(error as NodeJS.ErrnoException).code ?? error}`;
    process.stderr.write(`peer ${options.name}: ${reason}\n`);
    emit({ ev: "exit", code: 1, reason });
    flushEvents();
    process.exit(1);
  }
  for (const target of options.connect) peer.connect(target);

  // End of stdin (a detached terminal, `docker run` without -i) leaves the peer forwarding.
  const stdin = new LineSplitter(
    (line) => peer.input(line),
    () => diagnose(`line ignored: longer than ${MAX_LINE_BYTES} bytes`),
  );
  process.stdin.on("data", (chunk: Buffer) => stdin.push(chunk));
}

void start();
