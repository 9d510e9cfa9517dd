import { expandCommand, expandEnv } from "../adapter/placeholders.js";
import { planStartOrder } from "../adapter/start-order.js";
import { builtImageTag } from "../runtime/built-image.js";
import type { ContainerSpec, Labels, LogFiles } from "../runtime/runtime.js";
import { parseMemorySize } from "../topology/memory-size.js";
import { PEER_PORT, portAtRuntime, startPeers } from "../topology/peer-program.js";
import { DEFAULTS, type PeerSpec, type Topology } from "../topology/schema.js";
import { LABEL, containerName, networkName } from "./labels.js";

export interface PlannedPeer {
  peer: string;
  /** The peers whose ready line it waits for before it starts (start-order.ts), in its connect order. */
  waitsFor: string[];
  /** It chooses its port, and its ready line announces it (peer-program.ts). */
  portAtRuntime: boolean;
  /**
   * Its container, its command and env expanded for the ports known now: `ports` holds those
   * captured from ready lines, and must hold every one it dials whose port is known only at run
   * time (those it waits for).
   */
  container(ports: ReadonlyMap<string, number>): ContainerSpec;
}

export interface LabPlan {
  lab: string;
  network: { name: string; labels: Labels };
  peers: PlannedPeer[];
  /**
   * The journal container: orchestrator actions, timestamped by the engine, found by label like
   * the rest. It is on no network (it talks to nobody), so `up` creates it first, as the claim
   * on the lab's name.
   */
  journal: ContainerSpec;
  /** Every configured link once, as [peer, target]. */
  links: Array<[string, string]>;
  /** Start groups in order (start-order.ts): a peer starts once those it waits for are ready. */
  waves: string[][];
}

/**
 * Every container's log on the engine's disk: a runaway peer cannot fill it (30 MB at most per
 * container). Transcripts are read from these logs, and the engine reads the rotated files too,
 * so only a peer that printed more than that loses its oldest lines.
 */
export const LOG_FILES: LogFiles = { maxSize: "10m", maxFiles: 3 };

/** Topology → the containers, commands and labels of a lab. Pure: no engine involved. */
export function planLab(topology: Topology, referenceImage: string): LabPlan {
  const lab = topology.name;
  const network = networkName(lab);
  const labLabels = { [LABEL.lab]: lab };
  const start = planStartOrder(startPeers(topology.peers));
  // The loader refuses a cycle of runtime ports, and so does the stored topology's check.
  if (!start.ok) throw new Error(`planLab: ${start.problems[0]!.message}; load the topology first`);
  // The journal is the lab's claim on its name: on the first engine, where every command looks for it.
  const journalEngine = topology.engines?.[0];
  const atRuntime = new Set(topology.peers.filter(portAtRuntime).map((peer) => peer.name));
  const portOf =
    (ports: ReadonlyMap<string, number>) =>
    (target: string): number => {
      const port = ports.get(target) ?? (atRuntime.has(target) ? undefined : PEER_PORT);
      if (port === undefined) throw new Error(`planLab: the port of ${target} is known only once it runs`);
      return port;
    };
  return {
    lab,
    network: {
      name: network,
      labels: {
        ...labLabels,
        [LABEL.topology]: JSON.stringify(topology),
        ...(topology.engines ? { [LABEL.engines]: topology.engines.join(",") } : {}),
      },
    },
    peers: topology.peers.map((peer) => {
      const image = peerImage(peer, referenceImage);
      return {
        peer: peer.name,
        waitsFor: start.order.waitsFor[peer.name]!,
        portAtRuntime: atRuntime.has(peer.name),
        container: (ports) => {
          const values = { name: peer.name, port: PEER_PORT, connect: peer.connect, portOf: portOf(ports) };
          return {
            name: containerName(lab, peer.name),
            image,
            cmd: peer.command ? expandCommand(peer.command, values) : peerCommand(peer, values.portOf),
            labels: {
              ...labLabels,
              [LABEL.peer]: peer.name,
              [LABEL.role]: "peer",
              ...(peer.placement ? { [LABEL.engine]: peer.placement } : {}),
            },
            ...(peer.placement ? { engine: peer.placement } : {}),
            network,
            aliases: [peer.name],
            hostname: peer.name,
            env: expandEnv(peer.env, values),
            limits: { memoryBytes: parseMemorySize(peer.limits.memory)!, pids: peer.limits.pids },
            logFiles: LOG_FILES,
            // A program of the user's runs under an init, as outside a container: as PID 1 the
            // kernel would give it no default action for SIGTERM and SIGPIPE. The reference peer
            // handles its signals itself.
            ...(image === referenceImage ? {} : { init: true }),
          };
        },
      };
    }),
    journal: {
      name: containerName(lab, "journal"),
      image: referenceImage,
      entrypoint: ["cat"],
      cmd: [],
      labels: { ...labLabels, [LABEL.role]: "journal", ...(journalEngine ? { [LABEL.engine]: journalEngine } : {}) },
      ...(journalEngine ? { engine: journalEngine } : {}),
      aliases: [],
      hostname: "journal",
      env: {},
      logFiles: LOG_FILES,
      // As PID 1, cat would ignore SIGTERM, and `docker stop` or `compose down` would wait out the grace period.
      init: true,
    },
    links: topology.links,
    waves: start.order.waves,
  };
}

/** The image a peer runs: its own, the one lab builds for it, or the reference peer's. */
export function peerImage(peer: PeerSpec, referenceImage: string): string {
  return peer.image ?? (peer.build ? builtImageTag(peer.build) : referenceImage);
}

/** The reference peer's flags: what a peer without a `command` is given (peer/PROTOCOL.md). */
function peerCommand(peer: PeerSpec, portOf: (target: string) => number): string[] {
  return [
    "--name",
    peer.name,
    "--port",
    String(PEER_PORT),
    "--events",
    "json",
    "--mode",
    peer.mode,
    "--heartbeat",
    peer.heartbeat,
    "--timeout",
    peer.timeout,
    "--hop-limit",
    String(peer.hopLimit),
    ...(peer.mode === "heal" ? ["--min-neighbours", String(peer.minNeighbours ?? DEFAULTS.minNeighbours)] : []),
    ...(peer.crashHandler ? ["--crash-handler"] : []),
    ...peer.connect.flatMap((target) => ["--connect", `${target}:${portOf(target)}`]),
  ];
}
