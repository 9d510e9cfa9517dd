import { pairText } from "../faults/network-faults.js";
import { formatDuration } from "../../../peer/src/duration.js";
import { partitionsText } from "../check/overlay.js";
import type { DeliveryCell, LatencySummary, MessageResult, RunReport, Spread } from "../check/run-report.js";
import { DELIVERY_CLASSES, isFailable } from "../delivery/delivery-classes.js";
import { formatClockOffset } from "../runtime/clock-offset.js";
import { describeEngineRecord } from "../transcript/engine.js";
import { describeAction, journalProblem } from "../transcript/journal.js";
import { LINK_SOURCES, linkSourceLabel } from "../transcript/link-records.js";
import { visible } from "../visible.js";
import { escapeHtmlText } from "./escape-html.js";

/** The text of one matrix cell, shared by report.md and report.html. */
export function cellText(cell: DeliveryCell, isOrigin: boolean): string {
  if (cell.class === "duplicated") return `${cell.count}× dup`;
  if (isOrigin) return "sender";
  switch (cell.class) {
    case "delivered":
      return `✓ ${cell.latencyMs === undefined ? "" : formatDuration(cell.latencyMs)}${cell.hops === undefined ? "" : `/${cell.hops}h`}`.trimEnd();
    case "late":
      return `late ${cell.latencyMs === undefined ? "" : formatDuration(cell.latencyMs)}`.trimEnd();
    case "missing":
      return "✗ missing";
    case "unexpected":
      return "unexpected";
    case "unreachable":
      return "·";
  }
}

/** "alice: hello (alice:1)": how a message is named in both reports. */
export function messageLabel(message: MessageResult): string {
  return `${message.origin}: ${message.text} (${message.id})`;
}

/**
 * "own link events: alice, dave; TCP table: bob, carol": where lab learned each peer's links,
 * shared by report.md and report.html; undefined for a summary from before lab said so.
 */
export function linkSourcesText(report: RunReport): string | undefined {
  const sources = report.linkSources;
  if (!sources) return undefined;
  return LINK_SOURCES.flatMap((source) => {
    const peers = report.peers.filter((peer) => sources[peer]?.source === source);
    return peers.length ? [`${linkSourceLabel(source)}: ${peers.join(", ")}`] : [];
  }).join("; ");
}

/** "carol: why its TCP table could not be read", for each peer whose configured links stood in. */
export function linkSourceReasons(report: RunReport): string[] {
  return report.peers.flatMap((peer) => {
    const source = report.linkSources?.[peer];
    return source?.source === "configured" ? [`${peer}: ${source.reason || "its TCP table was not read"}`] : [];
  });
}

/** One end of a silenced link, as both reports' detection tables show it. */
export interface DetectionRow {
  /** The fault in words: "lab kill bob". */
  fault: string;
  /** When it was done, after the run started: "+6.000s". */
  when: string;
  /** "alice (link to bob)". */
  end: string;
  /** "3005 ms", or "not detected". */
  after: string;
  /** The link-down's reason, or why there was none: "undone after 2s", "by the end of the run". */
  reason: string;
  detected: boolean;
}

/** The report's detection times, one row per end of each link a fault silenced; none for a summary without them. */
export function detectionRows(report: RunReport): DetectionRow[] {
  return (report.detections ?? []).flatMap((detection) =>
    detection.ends.map((end) => ({
      fault: detection.description,
      when: offsetLabel(report, detection.at),
      end: `${end.peer} (link to ${end.neighbor})`,
      // Milliseconds as measured: a rounded "3s" would hide the heartbeat's own jitter.
      after: end.afterMs === undefined ? "not detected" : `${end.afterMs} ms`,
      reason:
        end.reason ??
        (end.undoneAt === undefined
          ? "by the end of the run"
          : `undone after ${formatDuration(elapsedMs(detection.at, end.undoneAt))}`),
      detected: end.afterMs !== undefined,
    })),
  );
}

/** One sender mode's cost, as both reports' cost tables show it. */
export interface CostRow {
  mode: string;
  broadcasts: string;
  /** Min / median / max over the mode's broadcasts: "24 / 26 / 31". */
  frames: string;
  floor: string;
  /** "1.00× / 1.08× / 1.29×", or "—" when no broadcast had a peer to reach. */
  ratio: string;
  duplicates: string;
  hopLimitDrops: string;
}

/** The cost tile, one row per sender mode; none for a summary without it. */
export function costRows(report: RunReport): CostRow[] {
  const figure = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));
  const spreadText = (spread: Spread, format: (value: number) => string): string =>
    [spread.min, spread.median, spread.max].map(format).join(" / ");
  return (report.cost?.byMode ?? []).map((mode) => ({
    mode: mode.mode,
    broadcasts: String(mode.broadcasts),
    frames: spreadText(mode.frames, figure),
    floor: spreadText(mode.floor, figure),
    ratio: mode.ratio ? spreadText(mode.ratio, (value) => `${value.toFixed(2)}×`) : "—",
    duplicates: String(mode.duplicates),
    hopLimitDrops: String(mode.hopLimitDrops),
  }));
}

/**
 * One line per sender mode for `lab run`'s closing lines: "heal: 1.00× the floor N − 1 (median
 * of 2 broadcasts, max 1.00×); 0 duplicates, 0 hop-limit drops".
 */
export function costLines(report: RunReport): string[] {
  return (report.cost?.byMode ?? []).map((mode) => {
    const ratio = mode.ratio
      ? `${mode.ratio.median.toFixed(2)}× the floor N − 1 (median of ${mode.broadcasts} broadcast${mode.broadcasts === 1 ? "" : "s"}, max ${mode.ratio.max.toFixed(2)}×)`
      : `${mode.broadcasts} broadcast${mode.broadcasts === 1 ? "" : "s"} with nobody to reach`;
    const drops = `${mode.hopLimitDrops} hop-limit drop${mode.hopLimitDrops === 1 ? "" : "s"}`;
    return `${mode.mode}: ${ratio}; ${mode.duplicates} duplicate${mode.duplicates === 1 ? "" : "s"}, ${drops}`;
  });
}

/** What the cost tile says above its table, in both reports. */
export const COST_LEAD =
  "Payload frames per broadcast: every recv and dup of the message in the transcripts, against the floor N − 1 (the peers that should have received it; N counts the sender). Flooding pays about twice the links; a spanning tree pays the floor. Each figure is min / median / max over the broadcasts of a sender's mode.";

/** The note under a mixed lab's cost table, or nothing. */
export function costMixedNote(report: RunReport): string | undefined {
  return report.cost?.mixed ? "The lab mixes modes: each broadcast is counted under its sender's mode." : undefined;
}

/** One repair, as both reports list it. */
export interface RepairRow {
  when: string;
  /** "a ⇄ c (dialled by a)". */
  link: string;
  /** "650 ms after lab kill b: SIGKILL", or "—". */
  afterLoss: string;
  afterLinkDown: string;
}

export function repairRows(report: RunReport): RepairRow[] {
  const after = (since: { description: string; afterMs: number } | undefined): string =>
    since ? `${since.afterMs} ms after ${since.description}` : "—";
  return (report.cost?.repairs ?? []).map((repair) => ({
    when: offsetLabel(report, repair.at),
    link: `${repair.peer} ⇄ ${repair.neighbor} (dialled by ${repair.peer})`,
    afterLoss: after(repair.loss),
    afterLinkDown: after(repair.linkDown),
  }));
}

/** "2025-03-14 10:00:02.012 UTC" from an ISO timestamp; anything else is shown as given. */
export function formatTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

/** Milliseconds from `from` to `to`, both ISO timestamps; 0 when either does not parse. */
export function elapsedMs(from: string, to: string): number {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : 0;
}

/** "+2.012s" after the run started. */
export function offsetLabel(report: RunReport, iso: string): string {
  return `+${(elapsedMs(report.startedAt, iso) / 1000).toFixed(3)}s`;
}

/**
 * A spread lab's engines in one line: each with its peers and its clock offset, and how the peer
 * image reached them. Undefined for a lab on one engine.
 */
export function enginesText(report: RunReport): string | undefined {
  if (!report.engines) return undefined;
  const each = report.engines.map((engine) => {
    const clock = `clock ${formatClockOffset({ offsetMs: engine.clockOffsetMs, uncertaintyMs: engine.uncertaintyMs })}`;
    return `${engine.name} (${engine.peers.join(", ") || "no peers"}; ${clock})`;
  });
  return `${each.join("; ")} — times corrected by each engine's offset; the peer image built on ${report.engines[0]!.name} and shipped to the others by save and load where missing`;
}

/**
 * report.md: the same content as report.html for a terminal or a code review, with the delivery
 * matrix as a table and each expectation's detail in a collapsible block.
 */
export function renderMarkdown(report: RunReport): string {
  const out: string[] = [];
  const verdict = report.verdict === "pass" ? "✓ PASS" : "✗ FAIL";
  out.push(`# ${verdict}: ${inline(report.lab)}`, "");
  if (report.description) out.push(`> ${inline(report.description)}`, "");
  out.push(
    `- **Topology file:** ${inline(report.file)}`,
    `- **Started:** ${formatTime(report.startedAt)}`,
    `- **Finished:** ${formatTime(report.finishedAt)} (${formatDuration(elapsedMs(report.startedAt, report.finishedAt))})`,
    `- **Peers:** ${report.peers.length}, **configured links:** ${report.links.length}, **messages:** ${report.messages.length}`,
  );
  const sources = linkSourcesText(report);
  if (sources !== undefined) out.push(`- **Links from:** ${inline(sources)}`);
  const engines = enginesText(report);
  if (engines !== undefined) out.push(`- **Engines:** ${inline(engines)}`);
  out.push("");
  const guessed = linkSourceReasons(report);
  if (guessed.length > 0)
    out.push(
      `> **Links guessed:** these peers' TCP tables could not be read at times, so their configured links to running peers stood in — ${guessed.map(inline).join("; ")}.`,
      "",
    );

  if (report.reasons.length > 0) {
    out.push("## Why it failed", "", ...report.reasons.map((reason) => `- ${inline(reason)}`), "");
  }
  const problem = journalProblem(report.journal);
  if (problem) out.push(`> **Journal:** ${inline(problem)}.`, "");

  out.push("## Expectations", "");
  if (report.expectations.length === 0) {
    out.push("The scenario has no expectations.", "");
  } else {
    out.push("| step | ok | description | detail |", "|---:|:---:|---|---|");
    for (const expectation of report.expectations) {
      const firstLine = expectation.detail.split("\n", 1)[0] ?? "";
      out.push(
        `| ${expectation.step} | ${expectation.ok ? "✓" : "✗"} | ${inline(expectation.description)} | ${inline(firstLine)} |`,
      );
    }
    out.push("");
    for (const expectation of report.expectations) {
      if (!expectation.detail) continue;
      out.push(
        `<details${expectation.ok ? "" : " open"}><summary>step ${expectation.step} ${expectation.ok ? "✓" : "✗"} ${escapeHtmlText(expectation.description)}</summary>`,
        "",
        ...fenced(expectation.detail),
        "",
        "</details>",
        "",
      );
    }
  }

  out.push("## Delivery check", "", "| class | count | level |", "|---|---:|---|");
  for (const klass of DELIVERY_CLASSES) {
    const level = isFailable(klass) ? report.check.levels[klass] : "—";
    const failing = isFailable(klass) && report.check.failing.includes(klass);
    out.push(`| ${klass} | ${report.check.counts[klass] ?? 0} | ${failing ? `**${level}** ✗` : level} |`);
  }
  out.push("");

  out.push(
    "## Latency",
    "",
    "First showing minus send time, over every delivered or late cell except the sender's own.",
    "",
    "| copies | count | mean | p50 | p95 | max |",
    "|---|---:|---:|---:|---:|---:|",
    latencyRow("all", report.latency),
  );
  const split = report.latencyUnderFaults;
  if (split) out.push(latencyRow("clean", split.clean), latencyRow("slowed by loss, delay or rate", split.degraded));
  out.push("");
  if (split)
    out.push(
      "Slowed: the copy's path crossed a link with loss, delay or a rate limit in force when the message was sent (either direction: TCP needs both).",
      "",
    );

  out.push(...costSection(report));

  const detections = detectionRows(report);
  if (detections.length > 0) {
    out.push(
      "## Detection",
      "",
      "For each fault that silenced links: when each end noticed, by its first `link-down` while the fault was in force.",
      "",
      "| fault | noticed by | after | how |",
      "|---|---|---:|---|",
      ...detections.map(
        (row) => `| ${row.when} ${inline(row.fault)} | ${inline(row.end)} | ${row.after} | ${inline(row.reason)} |`,
      ),
      "",
    );
  }

  out.push(
    "## Delivery matrix",
    "",
    "`✓ 12ms/2h` delivered after 12 ms over 2 hops · `late 2.3s` delivered after the settle window · `✗ missing` reachable but never shown · `2× dup` shown twice · `unexpected` shown though not reachable · `·` not reachable, not shown · `sender` the origin",
    "",
  );
  if (report.messages.length === 0) {
    out.push("No messages were sent.", "");
  } else {
    out.push(
      `| message | ${report.peers.map(inline).join(" | ")} |`,
      `|---|${report.peers.map(() => ":---:").join("|")}|`,
    );
    for (const message of report.messages) {
      const cells = report.peers.map((peer) => {
        const result = message.cells[peer];
        return result ? inline(cellText(result, peer === message.origin)) : "";
      });
      out.push(`| ${inline(messageLabel(message))} | ${cells.join(" | ")} |`);
    }
    out.push("");
  }

  out.push("## Overlay snapshots", "");
  for (const snapshot of report.snapshots) {
    const down = report.peers.filter((peer) => snapshot.states[peer] && snapshot.states[peer] !== "running");
    out.push(
      `### ${inline(snapshot.label)} (${offsetLabel(report, snapshot.at)})`,
      "",
      `- partitions: ${inline(partitionsText(snapshot.partitions))}`,
      `- not running: ${down.length === 0 ? "none" : inline(down.map((peer) => `${peer} (${snapshot.states[peer]})`).join(", "))}`,
      `- live links: ${snapshot.links.length === 0 ? "none" : inline(snapshot.links.map(([a, b]) => `${a}–${b}`).join(", "))}`,
      ...(snapshot.cut?.length ? [`- cut by the network: ${inline(snapshot.cut.map(pairText).join(", "))}`] : []),
      ...(snapshot.network ?? []).map((fault) => `- network: ${inline(fault)}`),
      "",
    );
  }

  out.push("## Actions", "");
  if (report.actions.length === 0) out.push("No actions were recorded.");
  for (const action of report.actions)
    out.push(`- ${offsetLabel(report, action.ts)} ${inline(describeAction(action))}`);
  out.push("");

  out.push(
    "## Outside lab's control",
    "",
    "Container changes the engine saw that no lab action explains: a crash, the OOM killer, a `docker kill`.",
    "",
  );
  if (report.outsideLab.length === 0) out.push("None: every container change the engine saw was lab's own.");
  for (const change of report.outsideLab)
    out.push(`- ${offsetLabel(report, change.ts)} ${inline(describeEngineRecord(change))}`);
  out.push("");
  return out.join("\n");
}

/** The cost tile and the repairs; nothing for a summary from before them. */
function costSection(report: RunReport): string[] {
  if (!report.cost) return [];
  const out = ["## Cost", "", COST_LEAD, ""];
  const rows = costRows(report);
  if (rows.length === 0) out.push("No messages were sent.", "");
  else {
    out.push(
      "| sender's mode | broadcasts | frames | floor N − 1 | × the floor | duplicates | hop-limit drops |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...rows.map(
        (row) =>
          `| ${inline(row.mode)} | ${row.broadcasts} | ${row.frames} | ${row.floor} | ${row.ratio} | ${row.duplicates} | ${row.hopLimitDrops} |`,
      ),
      "",
    );
    const mixed = costMixedNote(report);
    if (mixed) out.push(mixed, "");
  }
  const repairs = repairRows(report);
  if (repairs.length > 0) {
    out.push(
      "### Repairs",
      "",
      "Links heal peers dialled on their own: after the latest lab action that silenced links, and after the peer's own latest `link-down`.",
      "",
      "| when | link | after the loss | after its link-down |",
      "|---|---|---|---|",
      ...repairs.map(
        (row) => `| ${row.when} | ${inline(row.link)} | ${inline(row.afterLoss)} | ${inline(row.afterLinkDown)} |`,
      ),
      "",
    );
  }
  return out;
}

function latencyRow(name: string, latency: LatencySummary): string {
  const figure = (ms: number): string => (latency.count === 0 ? "—" : formatDuration(ms));
  return `| ${name} | ${latency.count} | ${figure(latency.meanMs)} | ${figure(latency.p50Ms)} | ${figure(latency.p95Ms)} | ${figure(latency.maxMs)} |`;
}

/** Peer text is user input: keep it from becoming markup, links or emphasis. */
function inline(text: string): string {
  return escapeHtmlText(visible(text.replace(/\r?\n/g, " "))).replace(/[\\`*_[\]#|]/g, (c) => `\\${c}`);
}

/** A code block whose fence is longer than any backtick run inside it. */
function fenced(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = "`".repeat(longest + 1);
  return [`${fence}text`, text.split("\n").map(visible).join("\n"), fence];
}
