import type { Lab } from "./lab.js";
import { followPeers } from "./follow.js";

export interface SettleOptions {
  /** Done once no peer has printed anything for this long... */
  quietMs: number;
  /** ...or after this long in any case. */
  maxMs: number;
}

export const DEFAULT_SETTLE: SettleOptions = { quietMs: 800, maxMs: 5000 };

/** Waits until the peers stop reacting to what was just done: no new output for a while. */
export async function settle(lab: Lab, options: SettleOptions = DEFAULT_SETTLE): Promise<void> {
  const { peers } = await lab.containers();
  const ids = new Map([...peers].filter(([, info]) => info.state === "running").map(([peer, info]) => [peer, info.id]));
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
  const deadline = Date.now() + options.maxMs;
  while (Date.now() < deadline && Date.now() - lastActivity < options.quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop.abort();
  await following;
}
