import type { NetworkRules } from "../runtime/runtime.js";
import { isBlocked, type NetworkState } from "./network-faults.js";

/**
 * The rules one peer's network namespace carries for the faults in force: the drops of every
 * blocked direction that ends at it and the loss of every peer's packets to it, on arrival (so
 * the sender learns nothing, as over a real network: see NetworkRules), and its own netem delay
 * and rate, on its way out. A peer's loss to one peer replaces, for that peer, its loss to all.
 * Peers without an address (not running) are left out: their rules come with their start.
 */
export function rulesFor(
  lab: string,
  peer: string,
  state: NetworkState,
  addresses: ReadonlyMap<string, string>,
): NetworkRules {
  const others = [...addresses].filter(([name]) => name !== peer);
  const lossFrom = others.flatMap(([name, from]) => {
    const loss =
      state.loss.find((entry) => entry.peer === name && entry.to === peer) ??
      state.loss.find((entry) => entry.peer === name && entry.to === undefined);
    return loss ? [{ percent: loss.percent, from }] : [];
  });
  /** An item aimed at one peer gets that peer's address; one aimed at a peer with none is left out. */
  const aimed = <T extends { to?: string }>(item: T): Array<{ to?: string }> => {
    if (item.to === undefined) return [{}];
    const to = addresses.get(item.to);
    return to === undefined ? [] : [{ to }];
  };
  const rate = state.rate.find((entry) => entry.peer === peer);
  return {
    lab,
    dropFrom: others.filter(([name]) => isBlocked(state, name, peer)).map(([, address]) => address),
    lossFrom,
    delay: state.delay
      .filter((delay) => delay.peer === peer && delay.mechanism === "netem")
      .flatMap((delay) => aimed(delay).map((to) => ({ ms: delay.ms, jitterMs: delay.jitterMs, ...to }))),
    ...(rate ? { rateKbit: rate.kbit } : {}),
  };
}

/** Whether a rule set asks for nothing: the namespace is as the engine made it. */
export function isEmpty(rules: NetworkRules): boolean {
  return rules.dropFrom.length + rules.lossFrom.length + rules.delay.length === 0 && rules.rateKbit === undefined;
}

/** Two rule sets that ask for the same: applying one where the other is changes nothing. */
export function sameRules(a: NetworkRules, b: NetworkRules): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
