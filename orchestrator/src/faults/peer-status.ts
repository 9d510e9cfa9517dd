/** What a peer's container is doing, as people say it: the states faults move a peer between. */
export const PEER_STATUSES = ["created", "running", "paused", "restarting", "exited", "killed", "removed"] as const;
export type PeerStatus = (typeof PEER_STATUSES)[number];

/** Whether a peer in this state takes part, or is about to again: a restarting peer is a new process starting. */
export function isUp(status: PeerStatus): boolean {
  return status === "running" || status === "restarting";
}
