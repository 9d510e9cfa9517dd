/**
 * The one duration grammar, shared by the peer's flags, topology files and lab's flags: a
 * number and a unit, `500ms`, `2s`, `1.5s`, `1m`, `1h`.
 */
export const DURATION = /^\d+(\.\d+)?(ms|s|m|h)$/;
/** How the grammar is shown in errors. */
export const DURATION_EXAMPLES = "500ms, 2s or 1m";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Node's timers hold at most 2^31 - 1 ms (about 596 h); a longer one fires after 1 ms instead. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Milliseconds; undefined when the text is not a duration, or one longer than a timer can wait. */
export function parseDuration(text: string): number | undefined {
  const unit = DURATION.exec(text)?.[2];
  if (unit === undefined) return undefined;
  const ms = Math.round(Number.parseFloat(text) * UNIT_MS[unit]!);
  return ms <= MAX_DURATION_MS ? ms : undefined;
}

/** Why this text is no duration, or undefined when it is one. */
export function durationProblem(text: string): string | undefined {
  if (!DURATION.test(text)) return `expected a duration such as ${DURATION_EXAMPLES}`;
  if (parseDuration(text) === undefined) return `at most ${formatDuration(MAX_DURATION_MS)}: no timer waits longer`;
  return undefined;
}

/** "12ms", "2.3s", "1m05s", "1h05m": short enough for a matrix cell, exact enough for a timeout. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, "")}s`;
  if (ms < 3_600_000) {
    const seconds = Math.round(ms / 1000);
    return withPart(`${Math.floor(seconds / 60)}m`, seconds % 60, "s");
  }
  const minutes = Math.round(ms / 60_000);
  return withPart(`${Math.floor(minutes / 60)}h`, minutes % 60, "m");
}

/** "1m" and "1m05s": a smaller unit only when it is not zero. */
function withPart(whole: string, part: number, unit: string): string {
  return part === 0 ? whole : `${whole}${String(part).padStart(2, "0")}${unit}`;
}
