/** Labels mark what belongs to which lab: every command finds its lab through them. */
export const LABEL = {
  lab: "p2plab.lab",
  peer: "p2plab.peer",
  role: "p2plab.role",
  /** The resolved topology, compact JSON, on the lab's network. */
  topology: "p2plab.topology",
} as const;

export type Role = "peer" | "journal";

export const PEER_PORT = 7000;

export function networkName(lab: string): string {
  return `p2plab-${lab}`;
}

export function containerName(lab: string, peer: string): string {
  return `p2plab-${lab}-${peer}`;
}
