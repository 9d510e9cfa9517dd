import type { ContainerInfo, Labels, NetworkInfo } from "../runtime/runtime.js";
import { formatPath } from "../topology/diagnostic.js";
import { DNS_NAME, storedTopologySchema, type Topology } from "../topology/schema.js";

/** Labels mark what belongs to which lab: every command finds its lab through them. */
export const LABEL = {
  lab: "p2plab.lab",
  peer: "p2plab.peer",
  role: "p2plab.role",
  /** The resolved topology, compact JSON, on the lab's network. */
  topology: "p2plab.topology",
  /** A lab on several engines: on its network, their names (Docker contexts) split by commas, the first holding the journal. */
  engines: "p2plab.engines",
  /** A lab on several engines: on each container, the engine it was created on. */
  engine: "p2plab.engine",
} as const;

/** A helper is a short-lived container reading a peer's TCP tables: it holds nothing to save. */
export type Role = "peer" | "journal" | "helper";

export function networkName(lab: string): string {
  return `p2plab-${lab}`;
}

/**
 * Lab and peer names are [a-z0-9-]; `_` is outside that alphabet, so it splits a container's
 * name back into its lab and peer (lab net + peer a-b and lab net-a + peer b stay apart).
 */
const NAME_SEPARATOR = "_";

export function containerName(lab: string, peer: string): string {
  return `${networkName(lab)}${NAME_SEPARATOR}${peer}`;
}

/**
 * The container whose name locks the lab's network faults while one command changes them: `.`
 * is outside the peer names' alphabet, so no peer's container can have this name.
 */
export function networkLockName(lab: string): string {
  return `${networkName(lab)}.network-lock`;
}

/**
 * What a label read back from the engine says, or why it is not trusted. Anyone can label a
 * network or a container, and peer names become file names: nothing read is used unchecked.
 * A problem names the object and the label, with any text from the label quoted.
 */
export type Reading<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The topology a lab was started from, on the network named for the lab, checked as strictly as
 * a topology file. Undefined when there is no such network or label (an interrupted `up`).
 */
export function readTopology(networks: NetworkInfo[], lab: string): Reading<Topology> | undefined {
  const network = networks.find((candidate) => candidate.name === networkName(lab));
  const json = network?.labels[LABEL.topology];
  if (network === undefined || json === undefined) return undefined;
  const where = `network ${network.name}: label ${LABEL.topology}`;
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return { ok: false, problem: `${where} is not JSON` };
  }
  const parsed = storedTopologySchema.safeParse(data);
  if (!parsed.success) {
    const [first, ...more] = parsed.error.issues;
    const field = first!.path.length ? `${formatPath(first!.path)}: ` : "";
    const others = more.length ? ` (and ${more.length} more)` : "";
    return { ok: false, problem: `${where} is not a topology lab up wrote: ${field}${first!.message}${others}` };
  }
  if (parsed.data.name !== lab) {
    return { ok: false, problem: `${where} holds the topology of lab "${parsed.data.name}", not of ${lab}` };
  }
  return { ok: true, value: parsed.data };
}

export type LabMember = { role: "peer"; peer: string } | { role: "journal" } | { role: "helper" };

/** The labels of a lab's helper containers: found and removed with the lab if one is ever left behind. */
export function helperLabels(lab: string): Labels {
  return { [LABEL.lab]: lab, [LABEL.role]: "helper" };
}

/**
 * What a container carrying the lab's label is in the lab. Its labels must name a peer of the
 * topology (or the journal), and its name, which the engine keeps unique, must be the one
 * `lab up` gives that member: a hand-made container cannot pose as a peer.
 */
export function readMember(container: Pick<ContainerInfo, "name" | "labels">, topology: Topology): Reading<LabMember> {
  const where = `container ${container.name}`;
  const refuse = (problem: string): Reading<LabMember> => ({ ok: false, problem: `${where}: ${problem}` });
  const role = container.labels[LABEL.role];
  const peer = container.labels[LABEL.peer];
  let member: LabMember;
  // The engine names a helper: it poses as nothing, and lives only while it reads.
  if (role === "helper") return { ok: true, value: { role } };
  if (role === "journal") {
    member = { role };
  } else if (role !== "peer") {
    return refuse(
      role === undefined
        ? `no label ${LABEL.role}`
        : `label ${LABEL.role} ${JSON.stringify(role)} is neither peer, journal nor helper`,
    );
  } else if (peer === undefined) {
    return refuse(`no label ${LABEL.peer}`);
  } else if (!DNS_NAME.test(peer)) {
    return refuse(
      `label ${LABEL.peer} ${JSON.stringify(peer)} is not a peer name (lowercase letters, digits and '-', at most 32)`,
    );
  } else if (!topology.peers.some((spec) => spec.name === peer)) {
    return refuse(`label ${LABEL.peer} "${peer}" names no peer of lab ${topology.name}`);
  } else {
    member = { role, peer };
  }
  const expected = containerName(topology.name, member.role === "peer" ? member.peer : "journal");
  if (container.name !== expected) {
    return refuse(
      `labelled as ${member.role === "peer" ? `peer ${member.peer}` : "the journal"} of lab ${topology.name}, but lab names that container ${expected}`,
    );
  }
  return { ok: true, value: member };
}
