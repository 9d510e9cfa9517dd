import type { Delay } from "./delay-queue.js";
import { DURATION, DURATION_EXAMPLES, durationProblem, parseDuration } from "./duration.js";
import { PEER_NAME } from "./wire.js";

/**
 * `/delay NEIGHBOUR|* DURATION [JITTER]` on a peer's stdin: hold every frame written to that
 * neighbour (`*`: to every neighbour) for DURATION ± JITTER. It is how the lab delays the
 * reference peer's links where the kernel has no netem; `0` removes the delay.
 */
export const DELAY_USAGE =
  "usage: /delay NEIGHBOUR|* DURATION [JITTER], e.g. /delay bob 200ms 50ms; 0 removes the delay";

/** Every neighbour, those linked later included. */
export const EVERY_NEIGHBOUR = "*";

export interface DelayCommand {
  /** A peer name, or EVERY_NEIGHBOUR. */
  neighbor: string;
  delay: Delay;
}

export function delayCommand({ neighbor, delay }: DelayCommand): string {
  const jitter = delay.jitterMs > 0 ? ` ${delay.jitterMs}ms` : "";
  return `/delay ${neighbor} ${delay.ms}ms${jitter}`;
}

/** The setting a `/delay` line asks for, or what is wrong with it (to print with DELAY_USAGE). */
export function parseDelayCommand(line: string): DelayCommand | { problem: string } {
  const [command, neighbor, duration, jitter, ...extra] = line.trim().split(/\s+/);
  if (command !== "/delay") return { problem: "not a /delay line" };
  if (neighbor === undefined || duration === undefined) return { problem: "a neighbour and a duration are needed" };
  if (extra.length > 0) return { problem: `unexpected "${extra.join(" ")}" after the jitter` };
  if (neighbor !== EVERY_NEIGHBOUR && !PEER_NAME.test(neighbor)) {
    return { problem: `"${neighbor}" is neither a peer name nor *` };
  }
  const ms = delayMs(duration);
  if (typeof ms === "string") return { problem: `delay "${duration}": ${ms}` };
  const jitterMs = jitter === undefined ? 0 : delayMs(jitter);
  if (typeof jitterMs === "string") return { problem: `jitter "${jitter}": ${jitterMs}` };
  if (jitterMs > ms) return { problem: `jitter ${jitter} is longer than the delay ${duration}` };
  return { neighbor, delay: { ms, jitterMs } };
}

/** A duration in ms, `0` included; else why the text is none. */
function delayMs(text: string): number | string {
  if (text === "0") return 0;
  if (!DURATION.test(text)) return `expected a duration such as ${DURATION_EXAMPLES}, or 0`;
  return parseDuration(text) ?? durationProblem(text)!;
}
