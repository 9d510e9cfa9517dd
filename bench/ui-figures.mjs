// The figures of `bench/ui.mjs`, pure: lag percentiles and growth over an interval, whether a page
// kept up, and a process's CPU time from /proc/<pid>/stat.
import { percentile } from "./harness.mjs";

/** The promise: a page shows an event within 250 ms. */
export const LAG_LIMIT_MS = 250;
/** How much the lag may grow from the interval's first quarter to its last and still count as steady. */
export const GROWTH_LIMIT_MS = 100;

/**
 * Lag figures of the feed items one page showed: each item's `at` (when it appeared in the page)
 * less its `ts` (when the peer printed it), same clock. `growth` is the median lag of the last
 * quarter of the items, by `ts`, less that of the first: a page falling behind shows a lag that grows.
 */
export function lagFigures(items) {
  if (items.length === 0) return { n: 0 };
  const byTs = [...items].sort((a, b) => a.ts - b.ts);
  const lags = byTs.map((item) => item.at - item.ts);
  const quarter = Math.max(1, Math.floor(lags.length / 4));
  return {
    n: lags.length,
    p50: percentile(lags, 0.5),
    p99: percentile(lags, 0.99),
    max: Math.max(...lags),
    growth: percentile(lags.slice(-quarter), 0.5) - percentile(lags.slice(0, quarter), 0.5),
  };
}

/** Whether a page kept up: it showed every item the server sent, p99 lag under the limit, and no growth. */
export function keptUp({ sent, shown, lag }) {
  if (shown < sent) return { kept: false, why: `showed ${shown} of ${sent}` };
  if (lag.p99 >= LAG_LIMIT_MS) return { kept: false, why: `p99 lag ${lag.p99} ms` };
  if (lag.growth >= GROWTH_LIMIT_MS) return { kept: false, why: `lag grew ${lag.growth} ms` };
  return { kept: true };
}

/** A process's CPU time so far (user + system) in clock ticks, from the text of /proc/<pid>/stat. */
export function cpuTicks(stat) {
  // The command name, in parentheses, may hold spaces and parentheses: the fields follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are the stat's fields 14 and 15; fields[0] here is field 3.
  return Number(fields[11]) + Number(fields[12]);
}
