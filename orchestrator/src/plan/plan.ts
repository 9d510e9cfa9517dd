import { builtImageTag } from "../runtime/built-image.js";
import type { ContainerSpec, Labels, LogFiles } from "../runtime/runtime.js";
import { parseMemorySize } from "../topology/memory-size.js";
import type { PeerSpec, Topology } from "../topology/schema.js";
import { LABEL, PEER_PORT, containerName, networkName } from "./labels.js";

export interface PlannedPeer {
  peer: string;
  container: ContainerSpec;
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
  return {
    lab,
    network: { name: network, labels: { ...labLabels, [LABEL.topology]: JSON.stringify(topology) } },
    peers: topology.peers.map((peer) => ({
      peer: peer.name,
      container: {
        name: containerName(lab, peer.name),
        image: peerImage(peer, referenceImage),
        cmd: peerCommand(peer),
        labels: { ...labLabels, [LABEL.peer]: peer.name, [LABEL.role]: "peer" },
        network,
        aliases: [peer.name],
        hostname: peer.name,
        env: peer.env,
        limits: { memoryBytes: parseMemorySize(peer.limits.memory)!, pids: peer.limits.pids },
        logFiles: LOG_FILES,
      },
    })),
    journal: {
      name: containerName(lab, "journal"),
      image: referenceImage,
      entrypoint: ["cat"],
      cmd: [],
      labels: { ...labLabels, [LABEL.role]: "journal" },
      aliases: [],
      hostname: "journal",
      env: {},
      logFiles: LOG_FILES,
    },
    links: topology.links,
  };
}

/** The image a peer runs: its own, the one lab builds for it, or the reference peer's. */
export function peerImage(peer: PeerSpec, referenceImage: string): string {
  return peer.image ?? (peer.build ? builtImageTag(peer.build) : referenceImage);
}

/** The argv every peer image is given: the reference peer's flags, the contract for custom peers too. */
export function peerCommand(peer: PeerSpec): string[] {
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
    ...peer.connect.flatMap((target) => ["--connect", `${target}:${PEER_PORT}`]),
  ];
}
