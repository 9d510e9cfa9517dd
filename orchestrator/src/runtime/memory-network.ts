import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";

/** A container as its network knows it. */
export interface Endpoint {
  id: string;
  /** Its network's name; absent: none (it reaches no one). */
  network?: string;
  /** The names others reach it by: its container name and aliases. */
  names: string[];
  /** Its address on its network, as the engine would report it. */
  address?: string;
}

interface Listening {
  endpoint: Endpoint;
  port: number;
  actualPort: number;
}

/** A connection from one container to another, spliced through a gateway. */
interface Connection {
  /** The dialler's id, then the acceptor's. */
  ends: [string, string];
  sockets: [Socket, Socket];
  /** What each end's TCP table shows of it: the dialler's address and port, then the acceptor's. */
  addresses: [TableEndpoint, TableEndpoint];
}

interface TableEndpoint {
  address: string;
  port: number;
}

/** A connection waiting for its name to be served. */
interface Waiting {
  from: string;
  fromAddress: string | undefined;
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
 * sockets: freeze them (pause), close them (the process died), and carry nothing one way
 * between two addresses (a network rule drops those packets: see `drop`).
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
  /** Each endpoint's dropping rules, by the other end's address: what its namespace's iptables would drop. */
  /** Per container, the addresses whose packets to it are dropped. */
  private readonly drops = new Map<string, Set<string>>();
  /** The next port a dialler's end of a connection gets, as the kernel hands out ephemeral ports. */
  private nextEphemeralPort = 40_000;

  /** A loopback address that reaches `target` from `from`, the same one every time; what is not host:port is left for the dialler to refuse. */
  route(from: Endpoint, target: string): Promise<string> {
    const match = /^(.+):(\d{1,5})$/.exec(target);
    if (!match) return Promise.resolve(target);
    const key = `${from.id}\u0000${target}`;
    const existing = this.gateways.get(key);
    if (existing) return existing.address;
    const host = match[1]!;
    const port = Number(match[2]);
    const server = createServer((socket) =>
      this.arrive({ from: from.id, fromAddress: from.address, network: from.network, host, port, socket }),
    );
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
    this.settle(id);
  }

  thaw(id: string): void {
    this.frozen.delete(id);
    this.settle(id);
  }

  /**
   * The endpoint's network rules, replacing its last: what an address in `from` sends it is
   * dropped silently. A connection's direction that is
   * dropped carries nothing, and its bytes wait, as TCP retransmits them until the rule goes; a
   * new connection either way waits as a SYN (or its answer) dropped does, until the rules let
   * it through or the dialler gives up.
   */
  drop(id: string, from: string[]): void {
    this.drops.set(id, new Set(from));
    for (const connection of this.connections) this.hold(connection);
    for (const waiting of this.waiting) this.tryJoin(waiting);
  }

  /** The endpoint's process is gone: its connections close, as the kernel closes a dead process's sockets. */
  cut(id: string): void {
    this.frozen.delete(id);
    // Its namespace, and the rules in it, end with it.
    this.drops.delete(id);
    for (const listening of this.listening) if (listening.endpoint.id === id) this.listening.delete(listening);
    for (const waiting of this.waiting) if (waiting.from === id) waiting.socket.destroy();
    for (const connection of this.connections) {
      if (!connection.ends.includes(id)) continue;
      connection.sockets.forEach((socket) => socket.destroy());
      this.connections.delete(connection);
    }
  }

  /**
   * The endpoint's /proc/net/tcp and /proc/net/tcp6, as Linux writes them: a LISTEN row per port
   * it listens on, an ESTABLISHED row per connection it is an end of. A connection counts until
   * the network sees it close; while one end is frozen that can be later than a kernel would,
   * which still counts a connection whose other end closed as established on the frozen side.
   */
  tcpTables(id: string): string {
    const rows: TableRow[] = [];
    for (const { endpoint, port } of this.listening)
      if (endpoint.id === id)
        rows.push({ local: { address: "0.0.0.0", port }, remote: { address: "0.0.0.0", port: 0 }, state: LISTEN });
    for (const connection of this.connections) {
      const [dialer, acceptor] = connection.addresses;
      if (connection.ends[0] === id) rows.push({ local: dialer, remote: acceptor, state: ESTABLISHED });
      if (connection.ends[1] === id) rows.push({ local: acceptor, remote: dialer, state: ESTABLISHED });
    }
    return `${TCP_HEADER}\n${rows.map(tableRow).join("")}${TCP6_HEADER}\n`;
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
    if (
      !served ||
      this.dropsEitherWay(waiting.from, waiting.fromAddress, served.endpoint) ||
      !this.waiting.delete(waiting)
    )
      return;
    const inner = connect(served.actualPort, "127.0.0.1");
    const connection: Connection = {
      ends: [waiting.from, served.endpoint.id],
      sockets: [waiting.socket, inner],
      addresses: [
        { address: waiting.fromAddress ?? "0.0.0.0", port: this.nextEphemeralPort++ },
        { address: served.endpoint.address ?? "0.0.0.0", port: served.port },
      ],
    };
    this.connections.add(connection);
    splice(waiting.socket, inner);
    splice(inner, waiting.socket);
    inner.once("close", () => this.connections.delete(connection));
    this.hold(connection);
  }

  /** Holds or lets through each direction of the endpoint's connections. */
  private settle(id: string): void {
    for (const connection of this.connections) if (connection.ends.includes(id)) this.hold(connection);
  }

  /**
   * A direction carries bytes unless an end is frozen or a rule drops it: a socket read is
   * paused for the direction it feeds (the dialler's socket feeds the acceptor).
   */
  private hold(connection: Connection): void {
    const frozen = connection.ends.some((end) => this.frozen.has(end));
    const [dialer, acceptor] = connection.ends;
    const [dialerAt, acceptorAt] = connection.addresses.map((end) => end.address);
    const directions = [this.dropped(dialerAt!, acceptor), this.dropped(acceptorAt!, dialer)];
    connection.sockets.forEach((socket, i) => (frozen || directions[i] ? socket.pause() : socket.resume()));
  }

  /** Whether packets from an address to an endpoint are dropped, by the receiver's rules. */
  private dropped(fromAddress: string, to: string): boolean {
    return this.drops.get(to)?.has(fromAddress) === true;
  }

  private dropsEitherWay(from: string, fromAddress: string | undefined, to: Endpoint): boolean {
    const [a, b] = [fromAddress ?? "0.0.0.0", to.address ?? "0.0.0.0"];
    return this.dropped(a, to.id) || this.dropped(b, from);
  }
}

const LISTEN = "0A";
const ESTABLISHED = "01";
const TCP_HEADER =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ";
const TCP6_HEADER =
  "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

interface TableRow {
  local: TableEndpoint;
  remote: TableEndpoint;
  state: typeof LISTEN | typeof ESTABLISHED;
}

/** One IPv4 row, numbered by `index`; addresses as the kernel prints them on a little-endian host. */
function tableRow(row: TableRow, index: number): string {
  const hex = ({ address, port }: TableEndpoint): string =>
    `${address
      .split(".")
      .reverse()
      .map((byte) => Number(byte).toString(16).padStart(2, "0"))
      .join("")
      .toUpperCase()}:${port.toString(16).padStart(4, "0").toUpperCase()}`;
  return `${String(index).padStart(4)}: ${hex(row.local)} ${hex(row.remote)} ${row.state} 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0\n`;
}

/** Carries one direction of a connection: bytes, the end of the stream, and a failure as a close. */
function splice(from: Socket, to: Socket): void {
  from.on("data", (chunk: Buffer) => to.write(chunk));
  from.on("end", () => to.end());
  from.on("error", () => to.destroy());
}
