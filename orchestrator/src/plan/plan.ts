import type { ContainerSpec, Labels } from "../runtime/runtime.js";
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
  /** The journal container: orchestrator actions, timestamped by the engine, found by label like the rest. */
  journal: ContainerSpec;
  /** Every configured link once, as [peer, target]. */
  links: Array<[string, string]>;
}

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
        image: peer.image ?? referenceImage,
        cmd: peerCommand(peer),
        labels: { ...labLabels, [LABEL.peer]: peer.name, [LABEL.role]: "peer" },
        network,
        aliases: [peer.name],
        hostname: peer.name,
        env: peer.env,
      },
    })),
    journal: {
      name: containerName(lab, "journal"),
      image: referenceImage,
      entrypoint: ["cat"],
      cmd: [],
      labels: { ...labLabels, [LABEL.role]: "journal" },
      network,
      aliases: [],
      hostname: "journal",
      env: {},
    },
    links: topology.links,
  };
}

/** The argv every peer image is given: the reference peer's flags, the contract for custom peers too. */
export function peerCommand(peer: PeerSpec): string[] {
  return [
    "--name", peer.name,
    "--port", String(PEER_PORT),
    "--events", "json",
    "--mode", peer.mode,
    "--heartbeat", peer.heartbeat,
    "--timeout", peer.timeout,
    "--hop-limit", String(peer.hopLimit),
    ...peer.connect.flatMap((target) => ["--connect", `${target}:${PEER_PORT}`]),
  ];
}
