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

/** What settling needs of a lab: its containers and their logs. */
export type SettlingLab = Pick<Lab, "containers"> & { runtime: Pick<Runtime, "logs"> };

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
    await waitFor(() => (Date.now() - lastActivity >= options.quietMs ? true : undefined), {
      what: "the peers quiet",
      intervalMs: CHECK_MS,
      timeoutMs: options.maxMs,
      signal,
    });
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
  } finally {
    stop.abort();
    await following;
  }
}
