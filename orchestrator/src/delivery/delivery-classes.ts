/**
 * How one (message, peer) pair turned out, declared once: the checker classifies into these, a
 * topology's `check:` sets a level for the failable ones, and the reports show them with their meaning.
 */
export const DELIVERY_CLASSES = ["delivered", "late", "missing", "duplicated", "unexpected", "unreachable"] as const;
export type DeliveryClass = (typeof DELIVERY_CLASSES)[number];

export const CLASS_MEANING: Record<DeliveryClass, string> = {
  delivered: "reachable when sent, shown once in time",
  late: "shown once, after the settle window",
  missing: "reachable when sent, never shown",
  duplicated: "shown more than once",
  unexpected: "not reachable when sent, shown anyway",
  unreachable: "not reachable, not shown: as it should be",
};

/** The classes a topology can make fail a run (`check:`); "delivered" and "unreachable" are how it should be. */
export const FAILABLE_CLASSES = [
  "missing",
  "duplicated",
  "unexpected",
  "late",
] as const satisfies readonly DeliveryClass[];
export type FailableClass = (typeof FAILABLE_CLASSES)[number];

export function isFailable(klass: DeliveryClass): klass is FailableClass {
  return (FAILABLE_CLASSES as readonly DeliveryClass[]).includes(klass);
}

/** What a topology's `check:` says of a failable class. */
export const CHECK_LEVELS = ["fail", "warn", "ignore"] as const;
export type CheckLevel = (typeof CHECK_LEVELS)[number];
