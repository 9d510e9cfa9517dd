/**
 * The kernel's neighbour (ARP) table is one table for every network namespace on the host, capped
 * by net.ipv4.neigh.default.gc_thresh3 (1024 by default). Each end of a link keeps an entry for the
 * other, so a lab of more than about 500 links (a 512-peer random graph, two 25-peer meshes at once)
 * overflows it: the kernel logs "neighbor table overflow" and new connections fail with
 * EHOSTUNREACH, which looks like a broken peer. `up` says so before it starts.
 */

/** The sysctl that caps the host's neighbour entries (runtime.neighbourTableLimit reads it). */
const NEIGHBOUR_LIMIT_SYSCTL = "net.ipv4.neigh.default.gc_thresh3";

/** Neighbour entries a lab's links take: one at each end. */
export function neighbourEntries(links: number): number {
  return 2 * links;
}

/** A warning when the lab's links need more neighbour entries than the kernel keeps; undefined when they fit or the limit is unknown. */
export function neighbourTableWarning(links: number, limit: number | undefined): string | undefined {
  const needed = neighbourEntries(links);
  if (limit === undefined || needed <= limit) return undefined;
  const enough = 2 ** Math.ceil(Math.log2(needed * 2));
  return (
    `warning: ${links} links need about ${needed} neighbour (ARP) entries, and this host's kernel keeps at most ` +
    `${limit} for all containers together (${NEIGHBOUR_LIMIT_SYSCTL}): links past it fail with EHOSTUNREACH. ` +
    `Raise it first: sudo sysctl -w ${NEIGHBOUR_LIMIT_SYSCTL}=${enough} net.ipv4.neigh.default.gc_thresh2=${enough / 2}`
  );
}
