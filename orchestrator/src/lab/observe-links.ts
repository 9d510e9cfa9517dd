import {
  matchTcpLinks,
  parseTcpTable,
  tcpNeighbors,
  type PeerAddress,
  type TcpLink,
  type TcpSocket,
} from "../adapter/tcp-table.js";
import { helperLabels } from "../plan/labels.js";
import { PEER_PORT, reportsLinks } from "../topology/peer-program.js";
import { TcpTablesUnreadableError, type ContainerInfo, type TcpTables } from "../runtime/runtime.js";
import type { PeerSpec, Topology } from "../topology/schema.js";
import { nextLinkRecord, type LinkRecord, type LinkSource } from "../transcript/link-records.js";
import { everyUntilAborted } from "../wait.js";
import type { Lab, LabContainers } from "./lab.js";

/** One peer's links as an observation found them. */
export interface PeerLinks {
  source: LinkSource;
  /** Its neighbours, in topology order; absent for "events" (the peer reports them itself). */
  neighbors?: string[];
  /** "configured": why its table was not read. */
  reason?: string;
  /** "tcp-table": how its table was read (absent when it does not run: it has no namespace to read). */
  via?: TcpTables["via"];
}

export interface LinkObservation {
  /** When the reading began. */
  ts: string;
  /** The connections between peers seen in the tables read, dialler → acceptor, in topology order. */
  links: TcpLink[];
  /** Every peer of the lab, in topology order: the observed ones with their neighbours, the others "events". */
  peers: Map<string, PeerLinks>;
}

export interface ObserveOptions {
  /** The lab's containers, when the caller has just listed them. */
  containers?: LabContainers;
  /**
   * The port each peer listens on, where it is not PEER_PORT (a port captured from a ready line);
   * the LISTEN rows of the tables read count too.
   */
  ports?: ReadonlyMap<string, number>;
}

/** What observing needs of a lab. */
export type ObservedLab = Pick<Lab, "runtime" | "name" | "topology" | "containers">;

/**
 * The links of `peers` (peer names of the lab), seen from outside: the TCP tables of their
 * network namespaces, read at once (one read per running or paused peer, none for the others),
 * matched to peer pairs by the lab network's addresses. A peer that does not run has no
 * connections. A peer whose table cannot be read gets its configured links to running peers
 * instead, marked "configured" with the reason. Peers not named keep their own link events.
 */
export async function observeLinks(
  lab: ObservedLab,
  peers: readonly string[],
  options: ObserveOptions = {},
): Promise<LinkObservation> {
  const ts = new Date().toISOString();
  const { peers: containers } = options.containers ?? (await lab.containers());
  const order = lab.topology.peers.map((peer) => peer.name);
  const observed = order.filter((name) => peers.includes(name));
  const addresses: PeerAddress[] = order.flatMap((name) => {
    const address = containers.get(name)?.address;
    return address ? [{ name, address, port: options.ports?.get(name) ?? PEER_PORT }] : [];
  });
  const readings = new Map(
    await Promise.all(observed.map(async (name) => [name, await readPeer(lab, containers.get(name))] as const)),
  );
  const tables = new Map<string, TcpSocket[]>();
  for (const [name, reading] of readings) if ("sockets" in reading) tables.set(name, reading.sockets);
  const links = matchTcpLinks(tables, addresses);
  const seen = tcpNeighbors(links);
  const result = new Map<string, PeerLinks>();
  for (const name of order) {
    const reading = readings.get(name);
    if (!reading) result.set(name, { source: "events" });
    else if ("sockets" in reading) {
      result.set(name, {
        source: "tcp-table",
        neighbors: order.filter((other) => seen.get(name)?.has(other)),
        ...(reading.via ? { via: reading.via } : {}),
      });
    } else {
      result.set(name, {
        source: "configured",
        neighbors: configuredNeighbors(lab, name, containers),
        reason: reading.problem,
      });
    }
  }
  return { ts, links, peers: result };
}

type Reading = { sockets: TcpSocket[]; via?: TcpTables["via"] } | { problem: string };

async function readPeer(lab: ObservedLab, container: ContainerInfo | undefined): Promise<Reading> {
  if (!container || (container.state !== "running" && container.state !== "paused")) return { sockets: [] };
  if (!container.address) return { problem: "the engine gives its container no address on the lab network" };
  try {
    const tables = await lab.runtime.readTcpTables(container.id, helperLabels(lab.name));
    return { sockets: parseTcpTable(tables.text), via: tables.via };
  } catch (error) {
    if (!(error instanceof TcpTablesUnreadableError)) throw error;
    return { problem: error.message };
  }
}

/** The peer's configured links whose other end runs; none when it does not run itself. */
function configuredNeighbors(lab: ObservedLab, name: string, containers: Map<string, ContainerInfo>): string[] {
  const running = (peer: string): boolean => containers.get(peer)?.state === "running";
  if (!running(name) && containers.get(name)?.state !== "paused") return [];
  const linked = new Set(
    lab.topology.links.flatMap(([a, b]) => (a === name ? [b] : b === name ? [a] : [])).filter(running),
  );
  return lab.topology.peers.map((peer) => peer.name).filter((peer) => linked.has(peer));
}

/**
 * Names peers (comma-separated, or `all`) whose links the lab reads from their TCP tables even
 * though they report them: to check a program's own link events against the kernel. Names that
 * are no peer of a lab are ignored there, so one setting serves several labs.
 */
export const OBSERVE_LINKS_VARIABLE = "P2PLAB_OBSERVE_LINKS";

/**
 * Whether the lab learns a peer's links from outside (its TCP table) rather than from its own
 * link events: the one place that decides it. A program that reports no links (a stdio
 * interface) always; others when OBSERVE_LINKS_VARIABLE (`named`) names them.
 */
export function observesLinks(peer: PeerSpec, named: ReadonlySet<string>): boolean {
  return !reportsLinks(peer) || named.has(peer.name) || named.has("all");
}

/** The peers of a topology whose links the lab observes, in topology order. */
export function linkObservedPeers(topology: Topology, env: NodeJS.ProcessEnv): string[] {
  const named = new Set(
    (env[OBSERVE_LINKS_VARIABLE] ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  );
  return topology.peers.filter((peer) => observesLinks(peer, named)).map((peer) => peer.name);
}

/** What recording observations needs of a lab: observing it, and its journal's link records. */
export type RecordingLab = ObservedLab & Pick<Lab, "linkRecords" | "recordLinks">;

/** What one poll recorded, and each observed peer's latest record (this poll's or an earlier one). */
export interface RecordedLinks {
  written: LinkRecord[];
  latest: LinkRecord[];
}

/**
 * Observes some peers' links again and again and records each change in the lab's journal: the
 * timeline then says when each link was seen up or down, and from which source. Polls run one
 * at a time, so two callers (a run's background poll, a fault step) never record one change twice.
 */
export class LinkRecorder {
  private latest: Promise<Map<string, LinkRecord>> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly lab: RecordingLab,
    private readonly peers: readonly string[],
  ) {}

  /** One observation of the peers, each change of their links recorded. */
  poll(options: ObserveOptions = {}): Promise<RecordedLinks> {
    const polled = this.queue.then(() => this.observeAndRecord(options));
    this.queue = polled.catch(() => {});
    return polled;
  }

  private async observeAndRecord(options: ObserveOptions): Promise<RecordedLinks> {
    this.latest ??= this.lab
      .linkRecords()
      .then((records) => new Map(records.map((record) => [record.target, record] as const)));
    const latest = await this.latest;
    const observation = await observeLinks(this.lab, this.peers, options);
    const written: LinkRecord[] = [];
    for (const [name, seen] of observation.peers) {
      if (seen.source === "events") continue;
      const record = nextLinkRecord(latest.get(name), observation.ts, name, {
        source: seen.source,
        neighbors: seen.neighbors ?? [],
        ...(seen.reason === undefined ? {} : { reason: seen.reason }),
      });
      if (!record) continue;
      await this.lab.recordLinks(record);
      latest.set(name, record);
      written.push(record);
    }
    return { written, latest: [...latest.values()] };
  }
}

/** How often `lab run` observes the links of peers that report none: a fault's effect shows within a second. */
const LINK_POLL_MS = 1000;

/**
 * Polls a recorder in the background until closed (`lab run`, for the whole scenario). A poll
 * that fails (the engine gone) ends the watch; `close` then throws its error.
 */
export class LinkWatch {
  private readonly stop = new AbortController();
  private readonly done: Promise<void>;
  private failure: { error: unknown } | undefined;

  constructor(recorder: LinkRecorder, intervalMs = LINK_POLL_MS) {
    this.done = everyUntilAborted(intervalMs, this.stop.signal, async () => {
      try {
        await recorder.poll();
      } catch (error) {
        this.failure = { error };
        this.stop.abort();
      }
    });
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.done;
    if (this.failure) throw this.failure.error;
  }
}
