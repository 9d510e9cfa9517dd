import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";

/** A container as its network knows it. */
export interface Endpoint {
  id: string;
  /** Its network's name; absent: none (it reaches no one). */
  network?: string;
  /** The names others reach it by: its container name and aliases. */
  names: string[];
}

interface Listening {
  endpoint: Endpoint;
  port: number;
  actualPort: number;
}

/** A connection from one container to another, spliced through a gateway. */
interface Connection {
  ends: [string, string];
  sockets: [Socket, Socket];
}

/** A connection waiting for its name to be served. */
interface Waiting {
  from: string;
  network: string | undefined;
  host: string;
  port: number;
  socket: Socket;
}

/**
 * The memory runtime's networks, on loopback. A container dials `bob:7000` through a gateway, a
 * loopback port of its own for that target, which splices the connection to whatever container
 * then has the name `bob` on its network and listens on 7000. Every connection between
 * containers passes a gateway, so the network can do what the kernel does to a container's
 * sockets: freeze them (pause) and close them (the process died).
 *
 * One difference from an engine: a name nobody serves yet does not fail to resolve; the
 * connection waits for it, and the dialler's handshake deadline ends the wait.
 */
export class LoopbackNetworks {
  private readonly listening = new Set<Listening>();
  private readonly gateways = new Map<string, { server: Server; address: Promise<string> }>();
  private readonly waiting = new Set<Waiting>();
  private readonly connections = new Set<Connection>();
  private readonly frozen = new Set<string>();

  /** A loopback address that reaches `target` from `from`, the same one every time; what is not host:port is left for the dialler to refuse. */
  route(from: Endpoint, target: string): Promise<string> {
    const match = /^(.+):(\d{1,5})$/.exec(target);
    if (!match) return Promise.resolve(target);
    const key = `${from.id}\u0000${target}`;
    const existing = this.gateways.get(key);
    if (existing) return existing.address;
    const host = match[1]!;
    const port = Number(match[2]);
    const server = createServer((socket) => this.arrive({ from: from.id, network: from.network, host, port, socket }));
    const address = once(server.listen(0, "127.0.0.1"), "listening").then(
      () => `127.0.0.1:${(server.address() as { port: number }).port}`,
    );
    this.gateways.set(key, { server, address });
    return address;
  }

  /** The endpoint's process listens on `port` at `actualPort`: connections waiting for it go through. */
  listen(endpoint: Endpoint, port: number, actualPort: number): void {
    this.listening.add({ endpoint, port, actualPort });
    for (const waiting of this.waiting) this.tryJoin(waiting);
  }

  /** Pause: the endpoint's connections carry nothing until it thaws. */
  freeze(id: string): void {
    this.frozen.add(id);
    for (const connection of this.connections)
      if (connection.ends.includes(id)) connection.sockets.forEach((socket) => socket.pause());
  }

  thaw(id: string): void {
    this.frozen.delete(id);
    for (const connection of this.connections) {
      if (connection.ends.includes(id) && !connection.ends.some((end) => this.frozen.has(end)))
        connection.sockets.forEach((socket) => socket.resume());
    }
  }

  /** The endpoint's process is gone: its connections close, as the kernel closes a dead process's sockets. */
  cut(id: string): void {
    this.frozen.delete(id);
    for (const listening of this.listening) if (listening.endpoint.id === id) this.listening.delete(listening);
    for (const waiting of this.waiting) if (waiting.from === id) waiting.socket.destroy();
    for (const connection of this.connections)
      if (connection.ends.includes(id)) connection.sockets.forEach((socket) => socket.destroy());
  }

  /** The container is removed: its gateways close too. */
  remove(id: string): void {
    this.cut(id);
    for (const [key, gateway] of this.gateways) {
      if (!key.startsWith(`${id}\u0000`)) continue;
      gateway.server.close();
      this.gateways.delete(key);
    }
  }

  private arrive(waiting: Waiting): void {
    waiting.socket.on("error", () => {});
    this.waiting.add(waiting);
    waiting.socket.once("close", () => this.waiting.delete(waiting));
    this.tryJoin(waiting);
  }

  private tryJoin(waiting: Waiting): void {
    const served = [...this.listening].find(
      ({ endpoint, port }) =>
        waiting.network !== undefined &&
        endpoint.network === waiting.network &&
        endpoint.names.includes(waiting.host) &&
        port === waiting.port,
    );
    if (!served || !this.waiting.delete(waiting)) return;
    const inner = connect(served.actualPort, "127.0.0.1");
    const connection: Connection = { ends: [waiting.from, served.endpoint.id], sockets: [waiting.socket, inner] };
    this.connections.add(connection);
    splice(waiting.socket, inner);
    splice(inner, waiting.socket);
    inner.once("close", () => this.connections.delete(connection));
    if (connection.ends.some((end) => this.frozen.has(end))) connection.sockets.forEach((socket) => socket.pause());
  }
}

/** Carries one direction of a connection: bytes, the end of the stream, and a failure as a close. */
function splice(from: Socket, to: Socket): void {
  from.on("data", (chunk: Buffer) => to.write(chunk));
  from.on("end", () => to.end());
  from.on("error", () => to.destroy());
}
