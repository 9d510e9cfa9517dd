/** Exponential backoff: the n-th wait doubles from `firstMs` up to `capMs`. */
export interface Backoff {
  firstMs: number;
  capMs: number;
}

/**
 * How long to wait before try number `attempt` (0: the first): the doubled delay `d`, capped,
 * drawn uniformly from `d / 2` to `d`. The jitter is what keeps the neighbours of a dead peer,
 * who all notice at the same moment, from dialling the same peer at the same instant; the lower
 * half keeps a try from coming much sooner than the backoff intends.
 */
export function backoffMs(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.firstMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
