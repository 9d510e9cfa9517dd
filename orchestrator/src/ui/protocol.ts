import type { PeerEvent } from "../../../peer/src/events.js";
import type { OverlaySnapshot } from "../check/run-report.js";
import type { NetworkFaultName } from "../faults/network-faults.js";
import type { ProcessFaultName } from "../faults/process-faults.js";
import type { JournalState } from "../transcript/journal.js";

/**
 * What `lab ui`'s server and its page say to each other: the server-sent events of GET /events
 * (each `event: <type>` with one JSON `data:` line) and the JSON of POST /api/action. The page is
 * bundled from orchestrator/src/ui/page/ and imports these types; nothing else crosses.
 */

/** The first event on every stream: the lab as it stands, and what happened before (the last FEED_BACKLOG lines). */
export interface UiHello {
  lab: string;
  description?: string;
  /** In the topology's order: the report's circle layout places them in this order. */
  peers: string[];
  /** The configured links. */
  links: Array<[string, string]>;
  /** Whether the network faults (partition, heal, cut, link, loss, delay, rate) can be done to this lab. */
  networkFaults: boolean;
  status: UiStatus;
  feed: UiFeedItem[];
}

/** The lab now, drawn as the report draws a snapshot (`label` "now", `at` when read). */
export interface UiStatus {
  overlay: OverlaySnapshot;
  /** `lab watch`'s piped status line: partitions, network faults, cut links. */
  line: string;
  journal: JournalState;
}

/** One line of the feed: what `lab watch` prints for it, and the event it came from (absent for lab's own records). */
export interface UiFeedItem {
  ts: string;
  peer: string;
  text: string;
  event?: PeerEvent;
}

/** The lab was brought down (by anyone): where its transcripts went, and the report when one was saved. */
export interface UiLabDown {
  message: string;
  /** A path on this server that serves the saved report.html, when one exists. */
  report?: string;
}

/** The engine stopped answering: said instead of freezing; `message` names the fix. */
export interface UiEngineGone {
  message: string;
}

export interface UiEvents {
  hello: UiHello;
  status: UiStatus;
  feed: UiFeedItem[];
  "lab-down": UiLabDown;
  "engine-gone": UiEngineGone;
}

/**
 * POST /api/action: one of the CLI's actions, with the words the CLI takes, validated by the same
 * rules (`lab kill bob` ≙ {action: "kill", peer: "bob"}; `lab send alice hi` ≙ {action: "send",
 * peer: "alice", text: "hi"}; `lab partition alice,bob / carol` ≙ {action: "partition", args:
 * ["alice,bob", "/", "carol"]}). The request carries the page's token in the X-P2plab-Token header.
 */
export type UiActionRequest =
  | { action: ProcessFaultName; peer: string }
  | { action: "send"; peer: string; text: string }
  | { action: NetworkFaultName; args: string[] };

/** The answer: the lines the CLI would print for it (no colour), or its error and the fix. */
export type UiActionResult = { ok: true; lines: string[] } | { ok: false; error: string; hint?: string };
