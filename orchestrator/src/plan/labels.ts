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

/**
 * Lab and peer names are [a-z0-9-]; `_` is outside that alphabet, so it splits a container's
 * name back into its lab and peer (lab net + peer a-b and lab net-a + peer b stay apart).
 */
const NAME_SEPARATOR = "_";

export function containerName(lab: string, peer: string): string {
  return `${networkName(lab)}${NAME_SEPARATOR}${peer}`;
}
