/**
 * A pair cut (or restored) in words: "alice ↔ bob", "alice → bob (one way)". On its own, without
 * the network faults' schemas, so the overlay drawing bundles for the browser without zod.
 */
export function pairText(fault: { from: string; to: string; oneWay: boolean }): string {
  return fault.oneWay ? `${fault.from} → ${fault.to} (one way)` : `${fault.from} ↔ ${fault.to}`;
}
