import type { NetworkRules } from "../runtime/runtime.js";
import { isBlocked, type NetworkState } from "./network-faults.js";

/**
 * The rules one peer's network namespace carries for the faults in force: the drops of every
 * blocked direction that starts or ends at it, and its own loss, netem delay and rate. Both ends
 * of a blocked direction carry it (the sender drops what it would send, the receiver what
 * arrives), so a peer that restarts is still cut off by its neighbours' rules until its own are
 * back. Peers without an address (not running) are left out: their rules come with their start.
 */
export function rulesFor(
  lab: string,
  peer: string,
  state: NetworkState,
  addresses: ReadonlyMap<string, string>,
): NetworkRules {
  const others = [...addresses].filter(([name]) => name !== peer);
  /** An item aimed at one peer gets that peer's address; one aimed at a peer with none is left out. */
  const aimed = <T extends { to?: string }>(item: T): Array<{ to?: string }> => {
    if (item.to === undefined) return [{}];
    const to = addresses.get(item.to);
    return to === undefined ? [] : [{ to }];
  };
  const rate = state.rate.find((entry) => entry.peer === peer);
  return {
    lab,
    dropTo: others.filter(([name]) => isBlocked(state, peer, name)).map(([, address]) => address),
    dropFrom: others.filter(([name]) => isBlocked(state, name, peer)).map(([, address]) => address),
    loss: state.loss
      .filter((loss) => loss.peer === peer)
      .flatMap((loss) => aimed(loss).map((to) => ({ percent: loss.percent, ...to }))),
    delay: state.delay
      .filter((delay) => delay.peer === peer && delay.mechanism === "netem")
      .flatMap((delay) => aimed(delay).map((to) => ({ ms: delay.ms, jitterMs: delay.jitterMs, ...to }))),
    ...(rate ? { rateKbit: rate.kbit } : {}),
  };
}

/** Whether a rule set asks for nothing: the namespace is as the engine made it. */
export function isEmpty(rules: NetworkRules): boolean {
  return (
    rules.dropTo.length + rules.dropFrom.length + rules.loss.length + rules.delay.length === 0 &&
    rules.rateKbit === undefined
  );
}

/** Two rule sets that ask for the same: applying one where the other is changes nothing. */
export function sameRules(a: NetworkRules, b: NetworkRules): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
