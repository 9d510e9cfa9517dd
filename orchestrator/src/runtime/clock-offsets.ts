/**
 * Engines' clock offsets as lab keeps and shows them: engine time minus lab time (this host's),
 * in ms, by engine name. Kept in a spread lab's stored topology by `up`, read back by every later
 * command (the runtime moves the engines' times, the peer line reader the peers' own stamps),
 * and recorded in summary.json.
 */
export type ClockOffsets = Record<string, number>;

/** `default +0ms, sbx-1 −3ms`: one line for `up`'s output and the report's header. */
export function formatClockOffsets(offsets: ClockOffsets): string {
  return Object.entries(offsets)
    .map(([engine, ms]) => `${engine} ${ms < 0 ? "−" : "+"}${Math.abs(Math.round(ms))}ms`)
    .join(", ");
}

/** An ISO time moved by ms; an empty time ("never") stays empty. */
export function shiftedTime(iso: string, ms: number): string {
  if (ms === 0 || iso === "") return iso;
  const time = Date.parse(iso);
  return Number.isFinite(time) ? new Date(time + ms).toISOString() : iso;
}
