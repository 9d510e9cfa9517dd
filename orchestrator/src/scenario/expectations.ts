import { formatDuration } from "../../../peer/src/duration.js";
import { expectedRecipients } from "../check/checker.js";
import { broadcastCosts } from "../check/cost.js";
import { describeStatus, partitionsText } from "../check/overlay.js";
import type { PeerStatus } from "../faults/peer-status.js";
import type { LabSnapshot } from "../lab/lab.js";
import { linkKey } from "../topology/link-key.js";
import type { CostExpect, ExpectStep } from "../topology/schema.js";
import { formatRecord, type TimelineRecord } from "../transcript/transcript.js";

/** What the runner sees at one poll: the lab now, and everything recorded so far. */
export interface Observation {
  snapshot: LabSnapshot;
  timeline: TimelineRecord[];
}

export interface Verdict {
  ok: boolean;
  /** True when waiting longer cannot change the verdict. */
  settled: boolean;
  expected: string;
  seen: string;
  /** The transcript lines that matter for this expectation. */
  evidence: TimelineRecord[];
}

/** A message the scenario sent. */
export interface SentMessage {
  id: string;
  from: string;
  text: string;
}

/** The messages sent so far: `as` names and texts → message ids (a text maps to its latest send). */
export type SentMessages = Map<string, SentMessage>;

/** The broadcasts a cost expectation judges, and those words for them ("since the start"); or why there are none to name. */
export type CostScope = { messages: SentMessage[]; words: string } | { problem: string };

/**
 * Which of the scenario's sends (all of them, in order) a cost expectation judges: from the send
 * its `since` names (by text or `as`, its latest send) on, or else those from index `from` on
 * (the first send after the previous cost expectation).
 */
export function costScope(
  cost: CostExpect,
  inOrder: readonly SentMessage[],
  sent: SentMessages,
  from: number,
): CostScope {
  if (cost.since === undefined)
    return {
      messages: inOrder.slice(from),
      words: from === 0 ? "since the start" : "since the previous cost expectation",
    };
  const named = sent.get(cost.since);
  const index = named ? inOrder.findLastIndex((message) => message.id === named.id) : -1;
  if (index === -1) return { problem: `no message "${cost.since}" was sent before this step` };
  return { messages: inOrder.slice(index), words: `since "${cost.since}"` };
}

const QUOTED_LINES = 12;

/**
 * Judges one expectation against one observation. Positive parts (who must receive it, the
 * partitions, links and states) hold as soon as they are seen; "nobody else" and `notTo` are
 * judged when the positive parts hold, or — when there are none — at the end of the window; so
 * are a cost's upper bounds. `scope`: the broadcasts a cost expectation judges (costScope).
 */
export function judge(
  expect: ExpectStep,
  observation: Observation,
  sent: SentMessages,
  windowOver: boolean,
  scope: CostScope = { messages: [], words: "" },
): Verdict {
  const parts: Verdict[] = [];
  if (expect.delivered !== undefined) parts.push(judgeDelivery(expect, observation, sent, windowOver));
  if (expect.partitions) parts.push(judgePartitions(expect.partitions, observation));
  if (expect.links) parts.push(judgeLinks(expect.links, observation));
  if (expect.state) parts.push(judgeStates(expect.state, observation));
  if (expect.cost) parts.push(judgeCost(expect.cost, observation, scope, windowOver));
  return {
    ok: parts.every((p) => p.ok),
    settled: parts.every((p) => p.settled),
    expected: parts.map((p) => p.expected).join("; "),
    seen: parts.map((p) => p.seen).join("; "),
    evidence: dedupe(parts.flatMap((p) => p.evidence)).slice(-QUOTED_LINES),
  };
}

function judgeDelivery(
  expect: ExpectStep,
  { timeline }: Observation,
  sent: SentMessages,
  windowOver: boolean,
): Verdict {
  const name = expect.delivered!;
  const message = sent.get(name);
  if (!message) {
    return {
      ok: false,
      settled: true,
      expected: `message "${name}" delivered`,
      seen: `no message "${name}" was sent before this step`,
      evidence: [],
    };
  }
  const about = timeline.filter((r) => r.ev !== "action" && "id" in r && r.id === message.id);
  const shownBy = [...new Set(about.filter((r) => r.ev === "recv" && r.peer !== message.from).map((r) => r.peer))];
  const to = expect.to ?? [];
  const notTo = expect.notTo ?? [];
  const lacking = to.filter((peer) => !shownBy.includes(peer));
  const extra = expect.to ? shownBy.filter((peer) => !to.includes(peer)) : [];
  const forbidden = shownBy.filter((peer) => notTo.includes(peer));
  const positive = to.length > 0;
  const ok = lacking.length === 0 && extra.length === 0 && forbidden.length === 0;
  const expected = `"${message.text}" from ${message.from} shown by ${expect.to ? (to.length ? to.join(", ") : "nobody") : "anyone"}${expect.to ? " and no one else" : ""}${notTo.length ? `, not by ${notTo.join(", ")}` : ""}`;
  const seen = `shown by ${shownBy.length ? shownBy.join(", ") : "nobody"}${lacking.length ? ` (not by ${lacking.join(", ")})` : ""}`;
  const sentAt = about.find((r) => r.ev === "sent")?.ts ?? "";
  const linkChanges = timeline.filter(
    (r) => (r.ev === "link-down" || r.ev === "action" || (r.ev === "links" && r.down.length > 0)) && r.ts >= sentAt,
  );
  return {
    ok,
    // Missing receivers may still come; once all arrived, or a forbidden one did, waiting changes nothing.
    settled: (positive && lacking.length === 0) || forbidden.length > 0 || extra.length > 0 || windowOver,
    expected,
    seen,
    evidence: [...about, ...linkChanges].sort((a, b) => a.ts.localeCompare(b.ts)),
  };
}

function judgePartitions(expected: string[][], { snapshot, timeline }: Observation): Verdict {
  const canonical = (partitions: string[][]): string =>
    partitionsText(partitions.map((p) => [...p].sort()).sort((a, b) => a.join().localeCompare(b.join())));
  const ok = canonical(expected) === canonical(snapshot.overlay.partitions);
  return {
    ok,
    settled: ok,
    expected: `partitions ${partitionsText(expected)}`,
    seen: `partitions ${partitionsText(snapshot.overlay.partitions)}`,
    evidence: overlayEvidence(timeline),
  };
}

function judgeLinks(expected: NonNullable<ExpectStep["links"]>, { snapshot, timeline }: Observation): Verdict {
  // Links as the running peers report them: a paused neighbour's link stays "up" until the
  // other end's heartbeat times out, which is the lesson of a silent failure.
  const live = new Set(
    snapshot.peers.flatMap((peer) => peer.neighbors.map((neighbor) => linkKey(peer.name, neighbor))),
  );
  const notUp = (expected.up ?? []).filter(([a, b]) => !live.has(linkKey(a, b)));
  const notDown = (expected.down ?? []).filter(([a, b]) => live.has(linkKey(a, b)));
  // With a reason: the latest link-down either end reported must give it (eof, timeout, …).
  const reasonOf = ([a, b]: [string, string]) =>
    timeline.findLast((r) => r.ev === "link-down" && linkKey(r.peer, r.neighbor) === linkKey(a, b)) as
      Extract<TimelineRecord, { ev: "link-down" }> | undefined;
  const wrongReason =
    expected.reason === undefined
      ? []
      : (expected.down ?? []).filter((pair) => !notDown.includes(pair) && reasonOf(pair)?.reason !== expected.reason);
  const ok = notUp.length === 0 && notDown.length === 0 && wrongReason.length === 0;
  const describe = (pairs: Array<[string, string]>): string =>
    pairs.map((pair) => [...pair].sort().join(" ── ")).join(", ");
  return {
    ok,
    settled: ok,
    expected: [
      expected.up?.length ? `links up: ${describe(expected.up)}` : "",
      expected.down?.length
        ? `links down: ${describe(expected.down)}${expected.reason ? ` (reason ${expected.reason})` : ""}`
        : "",
    ]
      .filter(Boolean)
      .join(", "),
    seen: ok
      ? "as expected"
      : [
          notUp.length ? `not up: ${describe(notUp)}` : "",
          notDown.length ? `still up: ${describe(notDown)}` : "",
          ...wrongReason.map(
            (pair) => `${describe([pair])} down with reason ${reasonOf(pair)?.reason ?? "(none reported)"}`,
          ),
        ]
          .filter(Boolean)
          .join(", "),
    evidence: overlayEvidence(timeline),
  };
}

/** `exited` covers any ended peer; `stopped` is a clean exit (code 0); `killed` is SIGKILL. */
function stateMatches(expected: string, status: PeerStatus, exitCode?: number): boolean {
  switch (expected) {
    case "exited":
      return status === "exited" || status === "killed";
    case "stopped":
      return status === "exited" && exitCode === 0;
    default:
      return status === expected;
  }
}

function judgeStates(expected: Record<string, string>, { snapshot, timeline }: Observation): Verdict {
  const wrong = Object.entries(expected).filter(([peer, state]) => {
    const view = snapshot.peers.find((p) => p.name === peer);
    return !view || !stateMatches(state, view.status, view.exitCode);
  });
  const seenStates = Object.keys(expected).map((peer) => {
    const view = snapshot.peers.find((p) => p.name === peer);
    return `${peer} ${view ? describeStatus(view) : "missing"}`;
  });
  return {
    ok: wrong.length === 0,
    settled: wrong.length === 0,
    expected: Object.entries(expected)
      .map(([peer, state]) => `${peer} ${state}`)
      .join(", "),
    seen: seenStates.join(", "),
    evidence: timeline.filter(
      (r) => r.ev === "action" || r.ev === "container" || r.ev === "exit" || r.ev === "listening",
    ),
  };
}

/**
 * Each broadcast in scope against the floor N − 1 (its expected recipients when it was sent, as
 * the checker has them), its frames counted from the transcripts. Upper bounds (`atMost`,
 * `none`) can only be broken by waiting, so they hold only at the end of `within`, or fail as
 * soon as they are broken; lower bounds (`atLeast`, `some`) hold as soon as they are met.
 */
function judgeCost(
  cost: CostExpect,
  { snapshot, timeline }: Observation,
  scope: CostScope,
  windowOver: boolean,
): Verdict {
  const expected = costExpected(cost, "problem" in scope ? "" : ` ${scope.words}`);
  if ("problem" in scope) return { ok: false, settled: true, expected, seen: scope.problem, evidence: [] };
  if (scope.messages.length === 0)
    return { ok: false, settled: true, expected, seen: `no message was sent ${scope.words}`, evidence: [] };
  const peers = snapshot.peers.map((peer) => peer.name);
  const sentRecords = new Map(
    timeline.flatMap((record) => (record.ev === "sent" ? [[record.id, record] as const] : [])),
  );
  const unseen = scope.messages.filter((message) => !sentRecords.has(message.id));
  const costs = broadcastCosts(
    scope.messages.flatMap((message) => {
      const record = sentRecords.get(message.id);
      return record
        ? [{ id: message.id, origin: message.from, reachable: expectedRecipients(peers, timeline, record) }]
        : [];
    }),
    timeline,
  );
  const over = cost.atMost === undefined ? [] : costs.filter((c) => c.frames > cost.atMost! * c.floor);
  const under = cost.atLeast === undefined ? [] : costs.filter((c) => c.frames < cost.atLeast! * c.floor);
  const total = (key: "duplicates" | "hopLimitDrops"): number => costs.reduce((sum, c) => sum + c[key], 0);
  const wrong = (key: "duplicates" | "hopLimitDrops"): boolean =>
    (cost[key] === "none" && total(key) > 0) || (cost[key] === "some" && total(key) === 0);
  const ok =
    unseen.length === 0 && over.length === 0 && under.length === 0 && !wrong("duplicates") && !wrong("hopLimitDrops");
  const broken =
    over.length > 0 ||
    (cost.duplicates === "none" && total("duplicates") > 0) ||
    (cost.hopLimitDrops === "none" && total("hopLimitDrops") > 0);
  const upperBounds = cost.atMost !== undefined || cost.duplicates === "none" || cost.hopLimitDrops === "none";
  const listed = (label: string, costs: typeof over): string =>
    costs.length === 0
      ? ""
      : `; ${label}: ${costs
          .slice(0, 5)
          .map((c) => `${c.id} ${c.frames} frames for ${c.floor}`)
          .join(", ")}${costs.length > 5 ? `, and ${costs.length - 5} more` : ""}`;
  const ratios = costs.flatMap((c) => (c.floor === 0 ? [] : [c.frames / c.floor]));
  const seen = [
    `${costs.length} broadcast${costs.length === 1 ? "" : "s"}`,
    ratioRange(ratios),
    `; ${total("duplicates")} duplicates, ${total("hopLimitDrops")} hop-limit drops`,
    listed(`above ${cost.atMost}×`, over),
    listed(`below ${cost.atLeast}×`, under),
    unseen.length ? `; not in the transcripts yet: ${unseen.map((message) => message.id).join(", ")}` : "",
  ].join("");
  return {
    ok,
    settled: windowOver || broken || (ok && !upperBounds),
    expected,
    seen,
    evidence: scope.messages.flatMap((message) => {
      const record = sentRecords.get(message.id);
      return record ? [record] : [];
    }),
  };
}

/** ", 1.00× to 1.67× N − 1" (or one figure when they agree); nothing when no broadcast had a peer to reach. */
function ratioRange(ratios: number[]): string {
  if (ratios.length === 0) return "";
  const [low, high] = [Math.min(...ratios).toFixed(2), Math.max(...ratios).toFixed(2)];
  return `, ${low === high ? low : `${low}× to ${high}`}× N − 1`;
}

/** "every broadcast since the start: payload frames ≤ 1.5 × (N − 1), no duplicates". */
function costExpected(cost: CostExpect, scope: string): string {
  return `every broadcast${scope}: ${costParts(cost).join(", ")}`;
}

function costParts(cost: CostExpect): string[] {
  const some = (what: string, value: "none" | "some" | undefined): string[] =>
    value === undefined ? [] : [value === "none" ? `no ${what}` : `some ${what}`];
  return [
    ...(cost.atMost === undefined ? [] : [`payload frames ≤ ${cost.atMost} × (N − 1)`]),
    ...(cost.atLeast === undefined ? [] : [`payload frames ≥ ${cost.atLeast} × (N − 1)`]),
    ...some("duplicates", cost.duplicates),
    ...some("hop-limit drops", cost.hopLimitDrops),
  ];
}

function overlayEvidence(timeline: TimelineRecord[]): TimelineRecord[] {
  return timeline.filter(
    (r) =>
      r.ev === "action" ||
      r.ev === "container" ||
      r.ev === "link-up" ||
      r.ev === "link-down" ||
      r.ev === "links" ||
      r.ev === "exit",
  );
}

function dedupe(records: TimelineRecord[]): TimelineRecord[] {
  return [...new Set(records)].sort((a, b) => a.ts.localeCompare(b.ts));
}

export function describeExpectation(expect: ExpectStep): string {
  const parts: string[] = [];
  if (expect.delivered !== undefined) {
    parts.push(
      `"${expect.delivered}" delivered${expect.to ? ` to ${expect.to.length ? expect.to.join(", ") : "nobody"}` : ""}${expect.notTo?.length ? `, not to ${expect.notTo.join(", ")}` : ""}`,
    );
  }
  if (expect.partitions) parts.push(`partitions ${partitionsText(expect.partitions)}`);
  if (expect.links?.up?.length) parts.push(`links up ${expect.links.up.map((l) => l.join("–")).join(", ")}`);
  if (expect.links?.down?.length) {
    const reason = expect.links.reason ? ` (${expect.links.reason})` : "";
    parts.push(`links down ${expect.links.down.map((l) => l.join("–")).join(", ")}${reason}`);
  }
  if (expect.state)
    parts.push(
      Object.entries(expect.state)
        .map(([peer, state]) => `${peer} ${state}`)
        .join(", "),
    );
  if (expect.cost)
    parts.push(
      `cost: ${costParts(expect.cost).join(", ")}${expect.cost.since === undefined ? "" : ` since "${expect.cost.since}"`}`,
    );
  return `expect ${parts.join("; ")}${expect.within ? ` within ${expect.within}` : ""}`;
}

/** The failure text: what was expected, what was seen, and the transcript lines that matter. */
export function explain(verdict: Verdict, waitedMs: number): string {
  const quoted = verdict.evidence.map((record) => `    ${formatRecord(record)}`);
  return [
    `expected: ${verdict.expected}`,
    `seen after ${formatDuration(waitedMs)}: ${verdict.seen}`,
    ...(quoted.length ? ["transcript:", ...quoted] : []),
  ].join("\n");
}
