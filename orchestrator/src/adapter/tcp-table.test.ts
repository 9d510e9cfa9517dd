import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  canonicalAddress,
  matchTcpLinks,
  parseTcpTable,
  tcpNeighbors,
  type PeerAddress,
  type TcpSocket,
} from "./tcp-table.js";

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
const socket = (local: string, remote: string, state: TcpSocket["state"]): TcpSocket => {
  const endpoint = (text: string) => ({
    address: text.slice(0, text.lastIndexOf(":")),
    port: Number(text.slice(text.lastIndexOf(":") + 1)),
  });
  return { local: endpoint(local), remote: endpoint(remote), state };
};

describe("parseTcpTable", () => {
  it("reads IPv4 rows: little-endian addresses, hex ports, every state", () => {
    expect(parseTcpTable(fixture("loopback.tcp.txt"))).toEqual([
      socket("0.0.0.0:2024", "0.0.0.0:0", "LISTEN"),
      socket("127.0.0.1:44410", "127.0.0.1:35363", "TIME_WAIT"),
      socket("127.0.0.2:7000", "0.0.0.0:0", "LISTEN"),
      socket("127.0.0.4:7000", "0.0.0.0:0", "LISTEN"),
      socket("127.0.0.3:7000", "0.0.0.0:0", "LISTEN"),
      socket("127.0.0.2:7000", "127.0.0.3:42967", "ESTABLISHED"),
      socket("127.0.0.3:42967", "127.0.0.2:7000", "ESTABLISHED"),
      socket("127.0.0.3:7000", "127.0.0.4:32969", "ESTABLISHED"),
      socket("127.0.0.6:34543", "127.0.0.5:7100", "ESTABLISHED"),
      socket("127.0.0.4:32969", "127.0.0.3:7000", "ESTABLISHED"),
    ]);
  });

  it("reads IPv6 rows: each 4-byte word reversed, IPv4-mapped addresses as IPv4", () => {
    expect(parseTcpTable(fixture("loopback.tcp6.txt"))).toEqual([
      socket(":::38407", ":::0", "LISTEN"),
      socket("127.0.0.1:41579", "127.0.0.1:37412", "TIME_WAIT"),
      socket(":::7100", ":::0", "LISTEN"),
      socket("::1:7200", ":::0", "LISTEN"),
      socket("::1:7200", "::1:42645", "ESTABLISHED"),
      socket("127.0.0.5:7100", "127.0.0.6:34543", "ESTABLISHED"),
      socket("::1:42645", "::1:7200", "ESTABLISHED"),
    ]);
  });

  it("reads a container's two tables in one text, as one cat of both files gives them", () => {
    const text = fixture("chain-lab/bob.tcp.txt") + fixture("chain-lab/bob.tcp6.txt");
    expect(parseTcpTable(text)).toEqual([
      socket("127.0.0.11:42581", "0.0.0.0:0", "LISTEN"),
      socket("172.25.0.2:37964", "172.25.0.4:7000", "ESTABLISHED"),
      socket(":::7000", ":::0", "LISTEN"),
      socket("172.25.0.2:7000", "172.25.0.3:38596", "ESTABLISHED"),
    ]);
  });

  it("skips what is not a row", () => {
    expect(parseTcpTable("")).toEqual([]);
    expect(
      parseTcpTable(
        "cat: /proc/net/tcp6: No such file or directory\n   0: 0100007F:1F40 0100007F:0000 0A\n   1: 0100007F:1F40 00000000:0000 FF 0 0\n",
      ),
    ).toEqual([]);
  });
});

describe("canonicalAddress", () => {
  it("spells an address the way the tables do", () => {
    expect(canonicalAddress("172.18.0.2")).toBe("172.18.0.2");
    expect(canonicalAddress("FD00:0:0:0:0:0:0:2")).toBe("fd00::2");
    expect(canonicalAddress("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalAddress("::ffff:172.18.0.2")).toBe("172.18.0.2");
    expect(canonicalAddress("0:0:0:0:0:ffff:ac12:2")).toBe("172.18.0.2");
    expect(canonicalAddress("fe80::1%eth0")).toBe("fe80::1%eth0");
    expect(canonicalAddress("bob")).toBe("bob");
  });
});

/** A lab of three reference peers, `alice ── bob ── carol`: bob dialled alice, carol dialled bob. */
const chainLab: PeerAddress[] = [
  { name: "alice", address: "172.25.0.4", port: 7000 },
  { name: "bob", address: "172.25.0.2", port: 7000 },
  { name: "carol", address: "172.25.0.3", port: 7000 },
];
const chainTables = (...names: string[]): Map<string, TcpSocket[]> =>
  new Map(
    names.map((name) => [
      name,
      parseTcpTable(fixture(`chain-lab/${name}.tcp.txt`) + fixture(`chain-lab/${name}.tcp6.txt`)),
    ]),
  );

describe("matchTcpLinks", () => {
  it("turns the connections seen in each container into links, with who dialled whom", () => {
    expect(matchTcpLinks(chainTables("alice", "bob", "carol"), chainLab)).toEqual([
      { dialer: "bob", acceptor: "alice", seenBy: ["alice", "bob"] },
      { dialer: "carol", acceptor: "bob", seenBy: ["bob", "carol"] },
    ]);
  });

  it("finds the listening ports in the tables when the lab does not know them", () => {
    const unknownPorts = chainLab.map(({ name, address }) => ({ name, address }));
    expect(matchTcpLinks(chainTables("alice", "bob", "carol"), unknownPorts)).toEqual(
      matchTcpLinks(chainTables("alice", "bob", "carol"), chainLab),
    );
  });

  it("a connection seen from one end is still a link: a paused peer's table cannot be read", () => {
    expect(matchTcpLinks(chainTables("bob"), chainLab)).toEqual([
      { dialer: "bob", acceptor: "alice", seenBy: ["bob"] },
      { dialer: "carol", acceptor: "bob", seenBy: ["bob"] },
    ]);
    // From alice's side only, bob's port is a stranger's: alice's own listening port says she accepted.
    expect(
      matchTcpLinks(
        chainTables("alice"),
        chainLab.map(({ name, address }) => ({ name, address })),
      ),
    ).toEqual([{ dialer: "bob", acceptor: "alice", seenBy: ["alice"] }]);
  });

  it("on one machine's loopback, by each peer's own address: IPv4, and IPv4-mapped rows of tcp6", () => {
    const sockets = parseTcpTable(fixture("loopback.tcp.txt") + fixture("loopback.tcp6.txt"));
    const peers: PeerAddress[] = [
      { name: "alice", address: "127.0.0.2", port: 7000 },
      { name: "bob", address: "127.0.0.3", port: 7000 },
      { name: "carol", address: "127.0.0.4", port: 7000 },
      { name: "dave", address: "127.0.0.5" },
      { name: "erin", address: "127.0.0.6" },
    ];
    const tables = new Map(peers.map((peer) => [peer.name, sockets]));
    expect(matchTcpLinks(tables, peers)).toEqual([
      { dialer: "bob", acceptor: "alice", seenBy: ["alice", "bob"] },
      { dialer: "carol", acceptor: "bob", seenBy: ["bob", "carol"] },
      { dialer: "erin", acceptor: "dave", seenBy: ["dave", "erin"] },
    ]);
  });

  it("on IPv6 addresses", () => {
    const sockets = parseTcpTable(fixture("loopback.tcp6.txt")).map((row) => ({
      ...row,
      local: {
        ...row.local,
        address: row.local.port === 7200 ? "fd00::1" : row.local.address === "::1" ? "fd00::2" : row.local.address,
      },
      remote: {
        ...row.remote,
        address: row.remote.port === 7200 ? "fd00::1" : row.remote.address === "::1" ? "fd00::2" : row.remote.address,
      },
    }));
    const peers = [
      { name: "server", address: "FD00::1" },
      { name: "client", address: "fd00:0::2" },
    ];
    expect(
      matchTcpLinks(
        new Map([
          ["server", sockets],
          ["client", sockets],
        ]),
        peers,
      ),
    ).toEqual([{ dialer: "client", acceptor: "server", seenBy: ["server", "client"] }]);
  });

  it("ignores connections that are not established, to no peer, or between ports no end listens on", () => {
    const peers: PeerAddress[] = [
      { name: "a", address: "10.0.0.1", port: 7000 },
      { name: "b", address: "10.0.0.2" },
    ];
    const tables = new Map([
      [
        "a",
        [
          socket("10.0.0.1:7000", "10.0.0.2:40000", "TIME_WAIT"),
          socket("10.0.0.1:7000", "10.0.0.9:40001", "ESTABLISHED"),
          socket("10.0.0.1:50000", "10.0.0.2:50001", "ESTABLISHED"),
        ],
      ],
      [
        "b",
        [
          socket("10.0.0.2:40002", "10.0.0.1:7000", "SYN_SENT"),
          socket("127.0.0.1:7000", "127.0.0.1:40003", "ESTABLISHED"),
        ],
      ],
    ]);
    expect(matchTcpLinks(tables, peers)).toEqual([]);
  });

  it("two connections between the same peers are two links", () => {
    const peers: PeerAddress[] = [
      { name: "a", address: "10.0.0.1", port: 7000 },
      { name: "b", address: "10.0.0.2", port: 7000 },
    ];
    const tables = new Map([
      [
        "a",
        [
          socket("10.0.0.1:7000", "10.0.0.2:40001", "ESTABLISHED"),
          socket("10.0.0.1:40002", "10.0.0.2:7000", "ESTABLISHED"),
        ],
      ],
    ]);
    expect(matchTcpLinks(tables, peers)).toEqual([
      { dialer: "a", acceptor: "b", seenBy: ["a"] },
      { dialer: "b", acceptor: "a", seenBy: ["a"] },
    ]);
  });
});

describe("tcpNeighbors", () => {
  it("gives both ends of each link, as the live overlay takes them", () => {
    expect(tcpNeighbors(matchTcpLinks(chainTables("alice", "bob", "carol"), chainLab))).toEqual(
      new Map([
        ["bob", new Set(["alice", "carol"])],
        ["alice", new Set(["bob"])],
        ["carol", new Set(["bob"])],
      ]),
    );
  });
});
