import type { Runtime } from "../runtime/runtime.js";
import { waitFor, WaitTimeoutError } from "../wait.js";
import type { Lab } from "./lab.js";
import { followPeers } from "./follow.js";

export interface SettleOptions {
  /** Done once no peer has printed anything for this long... */
  quietMs: number;
  /** ...or after this long in any case. */
  maxMs: number;
}

export const DEFAULT_SETTLE: SettleOptions = { quietMs: 800, maxMs: 5000 };

const CHECK_MS = 100;

/** What settling needs of a lab: its containers and their logs, or when a peer last printed where it is followed already. */
export type SettlingLab = Pick<Lab, "containers"> &
  Partial<Pick<Lab, "lastOutputAt">> & { runtime: Pick<Runtime, "logs"> };

/**
 * Waits until the peers stop reacting to what was just done: no new output for a while. A lab
 * still busy after `maxMs` is reported as it is then (a chatty lab is not an error); Ctrl-C ends
 * the wait at once, rejecting with the signal's reason.
 */
export async function settle(
  lab: SettlingLab,
  signal: AbortSignal,
  options: SettleOptions = DEFAULT_SETTLE,
): Promise<void> {
  if (lab.lastOutputAt?.() !== undefined) return settleFollowed(lab, signal, options);
  const { peers } = await lab.containers();
  // Only that they print counts here, not what: no reader.
  const ids = new Map(
    [...peers].filter(([, info]) => info.state === "running").map(([peer, info]) => [peer, { id: info.id }]),
  );
  const stop = new AbortController();
  let lastActivity = Date.now();
  const following = followPeers(
    lab.runtime,
    ids,
    () => {
      lastActivity = Date.now();
    },
    stop.signal,
    true,
  );
  try {
    await quiet(() => lastActivity, signal, options);
  } finally {
    stop.abort();
    await following;
  }
}

/** Settles a lab whose peers' logs are followed already (Lab.follow): no stream of its own. */
async function settleFollowed(lab: SettlingLab, signal: AbortSignal, options: SettleOptions): Promise<void> {
  const started = Date.now();
  await quiet(() => Math.max(started, lab.lastOutputAt?.() ?? 0), signal, options);
}

/** Waits until `lastActivity` (ms) is `quietMs` past, or `maxMs` passed. */
async function quiet(lastActivity: () => number, signal: AbortSignal, options: SettleOptions): Promise<void> {
  try {
    await waitFor(() => (Date.now() - lastActivity() >= options.quietMs ? true : undefined), {
      what: "the peers quiet",
      intervalMs: CHECK_MS,
      timeoutMs: options.maxMs,
      signal,
    });
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
  }
}
