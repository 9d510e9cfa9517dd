import { formatEvent, type PeerEvent, type PeerEventBody } from "../../../peer/src/events.js";
import { USAGE, parsePeerArgs } from "../../../peer/src/options.js";
import { Peer } from "../../../peer/src/peer.js";
import { LineSplitter, MAX_LINE_BYTES } from "../../../peer/src/stdin-lines.js";

/** What a process in a memory container has: its argv, its output, its network. */
export interface ProcessContext {
  argv: string[];
  /** One line of output, timestamped by the runtime as the engine's log would be. */
  print(stream: "stdout" | "stderr", text: string): void;
  /** The process ended by itself with this code. */
  exit(code: number): void;
  network: ContainerNetwork;
}

/** The container's view of its network: names resolve, its own listening ports are found. */
export interface ContainerNetwork {
  /** A loopback `host:port` that reaches `target` (`bob:7000`) as this container's network names it. */
  route(target: string): Promise<string>;
  /** The process listens on `port`, as the network knows it, at `actualPort` on loopback. */
  listen(port: number, actualPort: number): void;
}

/** A running process, as the engine drives it. */
export interface Process {
  /** Bytes on its stdin. */
  input(chunk: Buffer): void;
  /** SIGTERM: it calls `exit` once it has handled it; a process that ignores it never does. */
  terminate(): void;
  /** SIGKILL: gone at once, without a word. */
  kill(): void;
  /** The cgroup freezer: a frozen process prints nothing until thawed (its sockets are frozen by the network, its stdin held by the runtime). */
  freeze(): void;
  thaw(): void;
}

/** What an image (or an entrypoint) runs: started once per container start. */
export type Program = (context: ProcessContext) => Promise<Process>;

/** A process that has already exited. */
export const ENDED: Process = { input() {}, terminate() {}, kill() {}, freeze() {}, thaw() {} };

/**
 * The reference peer as peer/src/main.ts runs it, in this process: a real `Peer` on a loopback
 * port, its `--connect` targets routed by the container's network, its events printed as lines.
 */
export const referencePeer: Program = async ({ argv, print, exit, network }) => {
  const parsed = parsePeerArgs(argv, false);
  if (typeof parsed === "string" || "help" in parsed) {
    const stream = typeof parsed === "string" ? "stderr" : "stdout";
    const text = typeof parsed === "string" ? `peer: ${parsed}\n\n${USAGE}` : USAGE;
    for (const line of text.split("\n")) print(stream, line);
    exit(typeof parsed === "string" ? 2 : 0);
    return ENDED;
  }
  const options = parsed;
  // While frozen, what the peer's timers do is printed when it wakes, stamped then.
  let frozen = false;
  const held: Array<() => void> = [];
  const say = (write: () => void): void => void (frozen ? held.push(write) : write());
  const emit = (body: PeerEventBody): void =>
    say(() => {
      // The port the peer was told, as in a container: the loopback port is this runtime's business.
      const event = {
        ts: new Date().toISOString(),
        peer: options.name,
        ...(body.ev === "listening" ? { ...body, port: options.port } : body),
      } as PeerEvent;
      print("stdout", options.events === "json" ? JSON.stringify(event) : formatEvent(event));
    });
  const diagnose = (message: string): void => say(() => print("stderr", `peer ${options.name}: ${message}`));
  let exiting = false;
  const stop = async (reason: string, code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await peer.shutdown(reason);
    emit({ ev: "exit", code, reason });
    exit(code);
  };
  const peer = new Peer({ ...options, port: 0, emit, diagnose, quit: () => void stop("quit", 0) });
  network.listen(options.port, await peer.listen());
  for (const target of options.connect) peer.connect(await network.route(target));
  const stdin = new LineSplitter(
    (line) => peer.input(line),
    () => diagnose(`line ignored: longer than ${MAX_LINE_BYTES} bytes`),
  );
  return {
    input: (chunk) => stdin.push(chunk),
    terminate: () => void stop("SIGTERM", 0),
    kill: () => {
      exiting = true;
      held.length = 0;
      void peer.shutdown("SIGKILL");
    },
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const write of held.splice(0)) write();
    },
  };
};

/**
 * `cat`, the journal's entrypoint: each line on stdin comes back on stdout. As a container's
 * first process it has no SIGTERM handler, so the signal is ignored and `stop` ends in SIGKILL.
 */
export const cat: Program = async ({ print }) => {
  let pending = "";
  return {
    input: (chunk) => {
      const lines = (pending + chunk.toString("utf8")).split("\n");
      pending = lines.pop()!;
      for (const line of lines) print("stdout", line);
    },
    terminate() {},
    kill() {},
    freeze() {},
    thaw() {},
  };
};
