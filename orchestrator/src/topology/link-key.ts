/**
 * The key of the link between two peers, the same from either end: for sets and maps of links.
 * Peer names never hold a NUL, so no two pairs share a key.
 */
export function linkKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}
