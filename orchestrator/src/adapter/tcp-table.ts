import { isIPv4, isIPv6 } from "node:net";

/**
 * The live links of programs that report none, seen from outside: the TCP connections in each
 * peer's network namespace, as Linux lists them in /proc/net/tcp and /proc/net/tcp6, matched to
 * peer pairs by the lab network's addresses.
 */

/** Linux's TCP states (include/net/tcp_states.h), by the hex code the tables show. */
const STATES = {
  "01": "ESTABLISHED",
  "02": "SYN_SENT",
  "03": "SYN_RECV",
  "04": "FIN_WAIT1",
  "05": "FIN_WAIT2",
  "06": "TIME_WAIT",
  "07": "CLOSE",
  "08": "CLOSE_WAIT",
  "09": "LAST_ACK",
  "0A": "LISTEN",
  "0B": "CLOSING",
  "0C": "NEW_SYN_RECV",
} as const;

export type TcpState = (typeof STATES)[keyof typeof STATES];

export interface TcpEndpoint {
  /** Canonical text: `172.18.0.2`, `fd00::2`; IPv4-mapped IPv6 (`::ffff:172.18.0.2`) as the IPv4 address. */
  address: string;
  port: number;
}

/** One row of the table: a socket of the namespace. */
export interface TcpSocket {
  local: TcpEndpoint;
  remote: TcpEndpoint;
  state: TcpState;
}

/** A peer on the lab network. */
export interface PeerAddress {
  name: string;
  /** Its address on the lab network, as the engine reports it. */
  address: string;
  /** The port it listens on, when known (fixed, or captured from its ready line); its LISTEN rows count too. */
  port?: number;
}

/** One TCP connection between two peers. */
export interface TcpLink {
  /** The peer that connected. */
  dialer: string;
  /** The peer whose listening port it connected to. */
  acceptor: string;
  /** The peers in whose tables it was seen: both ends, or one when the other's could not be read. */
  seenBy: string[];
}

const ROW =
  /^\s*\d+:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+([0-9A-Fa-f]{2})\s/;

/**
 * The sockets of /proc/net/tcp or /proc/net/tcp6 text, or both concatenated (one `cat` of the
 * two files). Header lines and anything that is not a row are skipped.
 *
 * Addresses are the kernel's 32-bit words in the host's byte order: this reads them as
 * little-endian (x86-64 and arm64, where the engines run). Ports are plain hex.
 */
export function parseTcpTable(text: string): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const line of text.split("\n")) {
    const match = ROW.exec(line);
    if (!match) continue;
    const [, localAddress, localPort, remoteAddress, remotePort, code] = match;
    const state = STATES[code!.toUpperCase() as keyof typeof STATES] as TcpState | undefined;
    if (state === undefined) continue;
    sockets.push({ local: endpoint(localAddress!, localPort!), remote: endpoint(remoteAddress!, remotePort!), state });
  }
  return sockets;
}

function endpoint(address: string, port: string): TcpEndpoint {
  return { address: addressFromHex(address), port: Number.parseInt(port, 16) };
}

/** `0100007F` → `127.0.0.1`; 32 hex digits → IPv6, each 4-byte word reversed. */
function addressFromHex(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    for (let byte = 3; byte >= 0; byte--)
      bytes.push(Number.parseInt(hex.slice(word + byte * 2, word + byte * 2 + 2), 16));
  }
  if (bytes.length === 4) return bytes.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  return canonicalAddress(groups.join(":"));
}

/**
 * One spelling per address, so the table's and the engine's compare equal: IPv6 as RFC 5952
 * writes it (lowercase, the longest zero run as `::`), and an IPv4-mapped IPv6 address as the
 * IPv4 address (a socket listening on `::` accepts IPv4 connections as such). Anything else is
 * returned as given.
 */
export function canonicalAddress(address: string): string {
  // A zone (fe80::1%eth0) is no address of the lab network.
  if (isIPv4(address) || !isIPv6(address) || address.includes("%")) return address;
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

const UNSPECIFIED = new Set(["0.0.0.0", "::"]);

/**
 * The connections between peers, from the tables read in each peer's network namespace (peer
 * name → its sockets; a peer whose table could not be read is left out). A connection counts
 * once it is ESTABLISHED and its other end is another peer's address; the acceptor is the end
 * whose local port is its listening port (`port`, or a LISTEN row of its table), the dialler
 * the other. A connection seen from both ends is one link; one between ports neither end is
 * known to listen on is no chat link and is skipped. In peer order.
 */
export function matchTcpLinks(
  tables: ReadonlyMap<string, readonly TcpSocket[]>,
  peers: readonly PeerAddress[],
): TcpLink[] {
  const order = new Map(peers.map((peer, index) => [peer.name, index]));
  const byAddress = new Map(peers.map((peer) => [canonicalAddress(peer.address), peer.name]));
  const listening = new Map(peers.map((peer) => [peer.name, listeningPorts(peer, tables.get(peer.name) ?? [])]));
  const links = new Map<string, TcpLink & { port: number }>();
  for (const peer of peers) {
    const own = canonicalAddress(peer.address);
    for (const socket of tables.get(peer.name) ?? []) {
      const other = byAddress.get(socket.remote.address);
      if (socket.state !== "ESTABLISHED" || socket.local.address !== own || other === undefined || other === peer.name)
        continue;
      const accepted = listening.get(peer.name)!.has(socket.local.port);
      if (!accepted && !listening.get(other)!.has(socket.remote.port)) continue;
      const [dialer, acceptor, dialerPort, acceptorPort] = accepted
        ? [other, peer.name, socket.remote.port, socket.local.port]
        : [peer.name, other, socket.local.port, socket.remote.port];
      const key = `${dialer}:${dialerPort}>${acceptor}:${acceptorPort}`;
      const link = links.get(key) ?? { dialer, acceptor, seenBy: [], port: dialerPort };
      if (!link.seenBy.includes(peer.name)) link.seenBy.push(peer.name);
      links.set(key, link);
    }
  }
  const rank = (name: string): number => order.get(name)!;
  return [...links.values()]
    .sort((a, b) => rank(a.dialer) - rank(b.dialer) || rank(a.acceptor) - rank(b.acceptor) || a.port - b.port)
    .map(({ dialer, acceptor, seenBy }) => ({ dialer, acceptor, seenBy: seenBy.sort((x, y) => rank(x) - rank(y)) }));
}

function listeningPorts(peer: PeerAddress, sockets: readonly TcpSocket[]): Set<number> {
  const own = canonicalAddress(peer.address);
  const ports = sockets
    .filter(
      (socket) => socket.state === "LISTEN" && (socket.local.address === own || UNSPECIFIED.has(socket.local.address)),
    )
    .map((socket) => socket.local.port);
  return new Set(peer.port === undefined ? ports : [peer.port, ...ports]);
}

/**
 * Each peer's neighbours by these links, both ends: the shape check/overlay.ts's `liveOverlay`
 * takes from peers' own link events.
 */
export function tcpNeighbors(links: readonly TcpLink[]): Map<string, Set<string>> {
  const neighbors = new Map<string, Set<string>>();
  const add = (peer: string, neighbor: string): void => {
    neighbors.set(peer, (neighbors.get(peer) ?? new Set()).add(neighbor));
  };
  for (const link of links) {
    add(link.dialer, link.acceptor);
    add(link.acceptor, link.dialer);
  }
  return neighbors;
}
