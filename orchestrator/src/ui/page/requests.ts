import { PROCESS_FAULT_NAMES, actsOn, type ProcessFaultName } from "../../faults/process-faults.js";
import type { PeerStatus } from "../../faults/peer-status.js";
import type { UiActionRequest } from "../protocol.js";

/**
 * What the page's controls ask the server, as protocol.ts's requests: pure, so it is tested
 * without a browser. The server validates everything again with the CLI's rules.
 */

type NetworkAction = Extract<UiActionRequest, { args: string[] }>["action"];
/**
 * Every network fault, checked against the protocol's by the compiler (a fault added there and
 * missing here does not compile): the page does not bundle network-faults.ts, which needs zod.
 */
const NETWORK_ACTIONS = Object.keys({
  partition: true,
  heal: true,
  cut: true,
  link: true,
  loss: true,
  delay: true,
  rate: true,
} satisfies Record<NetworkAction, true>) as NetworkAction[];

/** The process faults a node's menu offers: those that act on a peer in its state, in the CLI's order. */
export function processActions(status: PeerStatus): ProcessFaultName[] {
  return PROCESS_FAULT_NAMES.filter((name) => actsOn(name, status));
}

/**
 * The network-faults field, in the CLI's words (a leading `lab` is fine): "partition alice,bob /
 * carol", "cut bob carol --one-way", "heal". An unknown first word is refused here, with the words known.
 */
export function networkRequest(line: string): UiActionRequest | { error: string } {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [action, ...args] = words[0] === "lab" ? words.slice(1) : words;
  if (action === undefined) return { error: `type a network fault, e.g. "partition alice,bob / carol" or "heal"` };
  const known = NETWORK_ACTIONS.find((name) => name === action);
  if (known === undefined) {
    return { error: `"${action}" is not a network fault (known: ${NETWORK_ACTIONS.join(", ")})` };
  }
  return { action: known, args };
}
