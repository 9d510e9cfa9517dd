import { formatDuration } from "../../../peer/src/duration.js";
import { partitionsText } from "../check/overlay.js";
import type { Forward, LatencySummary, OverlaySnapshot, Repair, RunReport } from "../check/run-report.js";
import { CLASS_MEANING, DELIVERY_CLASSES, isFailable } from "../delivery/delivery-classes.js";
import { isUp } from "../faults/peer-status.js";
import { PROCESS_FAULTS, isProcessFault } from "../faults/process-faults.js";
import { describeEngineRecord, type EngineRecord } from "../transcript/engine.js";
import { describeAction, journalProblem, type Action } from "../transcript/journal.js";
import { escapeHtml as esc } from "./escape-html.js";
import { OVERLAY_STYLE, fx, overlayLegend, overlaySvg } from "./overlay-svg.js";
import {
  COST_LEAD,
  cellText,
  costMixedNote,
  costRows,
  detectionRows,
  elapsedMs,
  enginesText,
  formatTime,
  linkSourceReasons,
  linkSourcesText,
  offsetLabel,
  repairRows,
} from "./markdown.js";

const MAX_ARROWS = 400;

/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, no external URLs) that
 * shows a run at a glance: verdict, topology before and after each fault, who got what, and how
 * each copy travelled.
 */
export function renderHtml(report: RunReport): string {
  const title = `${report.verdict === "pass" ? "PASS" : "FAIL"} · ${report.lab} · p2plab report`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${header(report)}
${topologySection(report)}
${matrixSection(report)}
${sequenceSection(report)}
${expectationsSection(report)}
${statsSection(report)}
${costSection(report)}
${detectionSection(report)}
${actionsSection(report)}
<footer>p2plab · ${esc(report.file)} · generated from summary.json</footer>
</main>
</body>
</html>
`;
}

function header(report: RunReport): string {
  const pass = report.verdict === "pass";
  const reasons =
    report.reasons.length === 0
      ? ""
      : `<div class="reasons"><h2>Why it failed</h2><ul>${report.reasons.map((reason) => `<li>${esc(reason)}</li>`).join("")}</ul></div>`;
  const problem = journalProblem(report.journal);
  const journal = problem ? `<div class="journal-warning"><h2>Journal</h2><p>${esc(problem)}.</p></div>` : "";
  const sources = linkSourcesText(report);
  const engines = enginesText(report);
  const guessed = linkSourceReasons(report);
  const guesses =
    guessed.length === 0
      ? ""
      : `<div class="journal-warning"><h2>Links guessed</h2><p>These peers' TCP tables could not be read at times, so their configured links to running peers stood in:</p><ul>${guessed.map((line) => `<li>${esc(line)}</li>`).join("")}</ul></div>`;
  return `<header>
<div class="title-row"><h1>${esc(report.lab)}</h1><span class="badge ${pass ? "pass" : "fail"}">${pass ? "✓ PASS" : "✗ FAIL"}</span></div>
${report.description ? `<p class="description">${esc(report.description)}</p>` : ""}
<dl class="meta">
<div><dt>topology</dt><dd><code>${esc(report.file)}</code></dd></div>
<div><dt>started</dt><dd>${esc(formatTime(report.startedAt))}</dd></div>
<div><dt>finished</dt><dd>${esc(formatTime(report.finishedAt))}</dd></div>
<div><dt>duration</dt><dd>${esc(formatDuration(elapsedMs(report.startedAt, report.finishedAt)))}</dd></div>
<div><dt>peers · links · messages</dt><dd>${report.peers.length} · ${report.links.length} · ${report.messages.length}</dd></div>
${sources === undefined ? "" : `<div><dt>links from</dt><dd>${esc(sources)}</dd></div>`}
${engines === undefined ? "" : `<div><dt>engines</dt><dd>${esc(engines)}</dd></div>`}
</dl>
${reasons}
${journal}
${guesses}
</header>`;
}

// ── Topology ────────────────────────────────────────────────────────────────────────────────

function topologySection(report: RunReport): string {
  const graphs = report.snapshots.map(
    (snapshot, index) =>
      `<figure class="graph">${overlaySvg(report.peers, report.links, snapshot, String(index)).svg}<figcaption><strong>${esc(snapshot.label)}</strong> <span class="muted">${esc(offsetLabel(report, snapshot.at))}</span><br><span class="partitions">partitions: ${esc(partitionsText(snapshot.partitions))}</span>${networkList(snapshot)}</figcaption></figure>`,
  );
  const legend = `<ul class="legend">
${overlayLegend()}
</ul>`;
  const body =
    report.snapshots.length === 0
      ? `<p class="muted">No overlay snapshots were taken.</p>`
      : `<div class="graphs">${graphs.join("\n")}</div>${legend}`;
  return `<section id="topology"><h2>Topology</h2><p class="lead">The live overlay before the run and after each fault: peers that can reach each other share a colour.</p>${body}</section>`;
}

/** The network faults in force at a snapshot, one line each; nothing when none (or a summary from before them). */
function networkList(snapshot: OverlaySnapshot): string {
  const faults = snapshot.network ?? [];
  return faults.length === 0
    ? ""
    : `<ul class="network">${faults.map((fault) => `<li>${esc(`network: ${fault}`)}</li>`).join("")}</ul>`;
}

// ── Delivery matrix ─────────────────────────────────────────────────────────────────────────

function matrixSection(report: RunReport): string {
  const legend = `<ul class="legend classes">${DELIVERY_CLASSES.map((klass) => `<li><span class="chip c-${klass}">${esc(klass)}</span> ${esc(CLASS_MEANING[klass])}</li>`).join("")}<li><span class="chip c-sender">sender</span> the origin's own copy</li></ul>`;
  if (report.messages.length === 0) {
    return `<section id="matrix"><h2>Delivery matrix</h2><p class="muted">No messages were sent.</p></section>`;
  }
  const head = `<tr><th scope="col">message</th>${report.peers.map((peer) => `<th scope="col">${esc(peer)}</th>`).join("")}</tr>`;
  const rows = report.messages.map((message) => {
    const cells = report.peers.map((peer) => {
      const cell = message.cells[peer];
      if (!cell) return `<td class="c-none"></td>`;
      const isSender = peer === message.origin && cell.class !== "duplicated";
      const tip = [
        `${peer}: ${cell.class}`,
        `shown ${cell.count}×`,
        cell.latencyMs === undefined ? "" : `first after ${cell.latencyMs} ms`,
        cell.hops === undefined ? "" : `${cell.hops} hop${cell.hops === 1 ? "" : "s"}`,
        cell.degraded ? "its path was slowed by loss, delay or a rate limit" : "",
      ]
        .filter(Boolean)
        .join(", ");
      return `<td class="${isSender ? "c-sender" : `c-${cell.class}`}" title="${esc(tip)}">${esc(cellText(cell, peer === message.origin))}</td>`;
    });
    return `<tr><th scope="row"><span class="origin">${esc(message.origin)}:</span> ${esc(message.text)} <span class="muted">(${esc(message.id)}) ${esc(offsetLabel(report, message.sentAt))}</span></th>${cells.join("")}</tr>`;
  });
  return `<section id="matrix"><h2>Delivery matrix</h2><p class="lead">Each message × each peer: <code>✓ 12ms/2h</code> means shown once, 12 ms after the send, over 2 hops.</p>${legend}<div class="scroll"><table class="matrix" aria-label="delivery matrix"><thead>${head}</thead><tbody>${rows.join("\n")}</tbody></table></div></section>`;
}

// ── Sequence diagram ────────────────────────────────────────────────────────────────────────

type Row =
  | { kind: "send"; at: number; index: number }
  | { kind: "forward"; at: number; forward: Forward }
  | { kind: "action"; at: number; action: Action }
  | { kind: "engine"; at: number; change: EngineRecord }
  | { kind: "repair"; at: number; repair: Repair };

const LANE_TOP = 56;
const ROW_MIN = 18;
const GAP_LINEAR_MS = 500;
const PX_PER_MS = 0.2;

/** Pixels for a gap between two events: linear up to 500 ms, then a fixed break, so idle time stays small. */
function gapPixels(gapMs: number): number {
  const linear = Math.min(gapMs, GAP_LINEAR_MS) * PX_PER_MS;
  return Math.max(ROW_MIN, linear + (gapMs > GAP_LINEAR_MS ? 26 : 0));
}

function sequenceSection(report: RunReport): string {
  const drawing = sequenceSvg(report);
  if (drawing === undefined) {
    return `<section id="sequence"><h2>Message sequence</h2><p class="muted">Nothing happened to draw.</p></section>`;
  }
  const { svg, notDrawn } = drawing;
  const note =
    notDrawn > 0
      ? `<p class="note">${notDrawn} more not drawn (the first ${MAX_ARROWS} copies by time are shown).</p>`
      : "";
  const legend = `<ul class="legend">
<li><svg width="16" height="12" aria-hidden="true"><circle cx="8" cy="6" r="5" fill="#0f172a"/></svg> message sent</li>
<li><svg width="34" height="10" aria-hidden="true"><line x1="1" y1="5" x2="33" y2="5" class="arrow recv"/></svg> copy received</li>
<li><svg width="34" height="10" aria-hidden="true"><line x1="1" y1="5" x2="33" y2="5" class="arrow dup"/></svg> duplicate copy dropped</li>
<li><svg width="34" height="10" aria-hidden="true"><line x1="1" y1="5" x2="33" y2="5" class="arrow hop-limit"/></svg> dropped at the hop limit</li>
<li><svg width="34" height="12" aria-hidden="true"><rect x="1" y="1" width="32" height="10" rx="3" class="action-swatch"/></svg> lab action</li>
<li><svg width="34" height="12" aria-hidden="true"><rect x="1" y="1" width="32" height="10" rx="3" class="engine-band"/></svg> container change lab did not make</li>
<li><svg width="16" height="18" aria-hidden="true"><line x1="8" y1="0" x2="8" y2="18" class="lane down"/></svg> peer killed, stopped or paused</li>
${report.cost?.repairs.length ? `<li><svg width="34" height="10" aria-hidden="true"><line x1="4" y1="5" x2="30" y2="5" class="repair"/><circle cx="4" cy="5" r="3" class="repair-end"/><circle cx="30" cy="5" r="3" class="repair-end"/></svg> a link a heal peer dialled on its own (a repair)</li>\n` : ""}</ul>`;
  return `<section id="sequence"><h2>Message sequence</h2><p class="lead">Time flows down; pauses longer than ${GAP_LINEAR_MS} ms are shortened and marked. Each arrow runs from when a peer had the message to when a neighbour received it.</p>${legend}<div class="scroll">${svg}</div>${note}</section>`;
}

/** The sequence diagram, and how many copies it leaves out; undefined when nothing happened. */
function sequenceSvg(report: RunReport): { svg: string; notDrawn: number } | undefined {
  const start = Date.parse(report.startedAt);
  const time = (iso: string): number => {
    const t = Date.parse(iso);
    return Number.isFinite(t) ? t - start : 0;
  };
  const sorted = [...report.forwards].sort((a, b) => time(a.at) - time(b.at));
  const drawn = sorted.slice(0, MAX_ARROWS);
  const notDrawn = sorted.length - drawn.length;

  const rows: Row[] = [
    ...report.messages.map((message, index): Row => ({ kind: "send", at: time(message.sentAt), index })),
    ...drawn.map((forward): Row => ({ kind: "forward", at: time(forward.at), forward })),
    ...report.actions
      .filter((action) => action.action !== "send")
      .map((action): Row => ({ kind: "action", at: time(action.ts), action })),
    ...report.outsideLab.map((change): Row => ({ kind: "engine", at: time(change.ts), change })),
    ...(report.cost?.repairs ?? []).map((repair): Row => ({ kind: "repair", at: time(repair.at), repair })),
  ];
  // Stable by time, and an action before what it caused at the same millisecond.
  const rank = { action: 0, engine: 1, repair: 2, send: 3, forward: 4 } as const;
  rows.sort((a, b) => a.at - b.at || rank[a.kind] - rank[b.kind]);

  if (rows.length === 0) return undefined;

  const lanes = report.peers;
  const laneGap = lanes.length <= 6 ? 150 : lanes.length <= 16 ? 90 : 56;
  const left = 110;
  const width = left + (lanes.length - 1) * laneGap + 130;
  const laneX = new Map(lanes.map((peer, index) => [peer, left + index * laneGap]));

  const ys: number[] = [];
  const breaks: Array<{ y: number; gapMs: number }> = [];
  let y = LANE_TOP + 22;
  rows.forEach((row, index) => {
    if (index > 0) {
      const gap = row.at - rows[index - 1]!.at;
      const step = gapPixels(gap);
      if (gap > GAP_LINEAR_MS) breaks.push({ y: y + step - 13, gapMs: gap });
      y += step;
    }
    ys.push(y);
  });
  const height = y + 36;

  // Where each peer first had each message: the arrow for a forward starts there.
  const firstHad = new Map<string, number>();
  rows.forEach((row, index) => {
    if (row.kind === "send") {
      const message = report.messages[row.index]!;
      firstHad.set(`${message.id}\u0000${message.origin}`, ys[index]!);
    } else if (row.kind === "forward" && row.forward.kind === "recv") {
      const key = `${row.forward.id}\u0000${row.forward.to}`;
      if (!firstHad.has(key)) firstHad.set(key, ys[index]!);
    }
  });

  const parts: string[] = [];
  parts.push(
    `<defs>${arrowMarker("recv", "#334155")}${arrowMarker("dup", "#ea580c")}${arrowMarker("hop-limit", "#dc2626")}</defs>`,
  );

  for (const gap of breaks) {
    parts.push(
      `<g class="gap"><line x1="12" y1="${fx(gap.y)}" x2="${width - 12}" y2="${fx(gap.y)}"/><text x="14" y="${fx(gap.y - 4)}">${esc(`⋯ ${formatDuration(gap.gapMs)} later`)}</text></g>`,
    );
  }

  // Bands under the lanes, their labels over them.
  const bands = rows.flatMap((row, index) => {
    if (row.kind === "action")
      return [
        {
          kind: "action-band",
          label: `${offsetLabel(report, row.action.ts)}  ${describeAction(row.action)}`,
          y: ys[index]!,
        },
      ];
    if (row.kind === "engine")
      return [
        {
          kind: "engine-band",
          label: `${offsetLabel(report, row.change.ts)}  ${describeEngineRecord(row.change)}, not by lab`,
          y: ys[index]!,
        },
      ];
    return [];
  });
  for (const band of bands)
    parts.push(`<rect x="8" y="${fx(band.y - 10)}" width="${width - 16}" height="20" rx="4" class="${band.kind}"/>`);
  parts.push(laneLines(lanes, laneX, rows, ys, height));
  for (const band of bands)
    parts.push(`<text x="14" y="${fx(band.y + 4)}" class="action-label">${esc(band.label)}</text>`);

  rows.forEach((row, index) => {
    const rowY = ys[index]!;
    if (row.kind === "forward") {
      const f = row.forward;
      const x1 = laneX.get(f.from);
      const x2 = laneX.get(f.to);
      if (x1 === undefined || x2 === undefined || x1 === x2) return;
      const fromY = Math.min(firstHad.get(`${f.id}\u0000${f.from}`) ?? rowY - 10, rowY);
      const inset = x2 > x1 ? -6 : 6;
      const tip = `${f.id} ${f.from} → ${f.to}, ${f.kind}, hops ${f.hops}, ${offsetLabel(report, f.at)}`;
      parts.push(
        `<line x1="${fx(x1)}" y1="${fx(fromY)}" x2="${fx(x2 + inset)}" y2="${fx(rowY)}" class="arrow ${f.kind}" marker-end="url(#arrow-${f.kind})"><title>${esc(tip)}</title></line>`,
      );
      if (f.kind !== "recv") {
        parts.push(
          `<text x="${fx(x2 + (x2 > x1 ? -10 : 10))}" y="${fx(rowY + 14)}" text-anchor="${x2 > x1 ? "end" : "start"}" class="arrow-note ${f.kind}">${f.kind}</text>`,
        );
      }
    } else if (row.kind === "repair") {
      parts.push(repairMark(report, row.repair, laneX, rowY));
    } else if (row.kind === "send") {
      const message = report.messages[row.index]!;
      const x = laneX.get(message.origin);
      if (x === undefined) return;
      // The last lane has no room on its right: label to the left there.
      const last = message.origin === lanes[lanes.length - 1] && lanes.length > 1;
      parts.push(
        `<g class="send"><circle cx="${fx(x)}" cy="${fx(rowY)}" r="5"/><text x="${fx(last ? x - 9 : x + 9)}" y="${fx(rowY - 6)}"${last ? ` text-anchor="end"` : ""}>${esc(`“${truncate(message.text, 28)}”`)}<tspan class="muted"> ${esc(message.id)}</tspan></text><text x="14" y="${fx(rowY + 4)}" class="time">${esc(offsetLabel(report, message.sentAt))}</text></g>`,
      );
    }
  });

  const svg = `<svg class="sequence" viewBox="0 0 ${width} ${fx(height)}" width="${width}" height="${fx(height)}" role="img" aria-label="message sequence diagram">${parts.join("")}</svg>`;
  return { svg, notDrawn };
}

/**
 * The report's drawings as SVG files of their own (the page's style inside each), for documents
 * to show: overlay-1.svg… (the overlay before the run and after each fault) and sequence.svg.
 */
export function reportPictures(report: RunReport): Array<{ file: string; svg: string }> {
  const standalone = (svg: string, width?: number) =>
    svg
      .replace(/^<svg /, `<svg xmlns="http://www.w3.org/2000/svg"${width ? ` width="${width}"` : ""} `)
      .replace(/>/, `><style>${STYLE}svg{font:15px/1.5 system-ui,sans-serif;background:#fff}</style>`);
  const overlays = report.snapshots.map((snapshot, index) => ({
    file: `overlay-${index + 1}.svg`,
    svg: standalone(overlaySvg(report.peers, report.links, snapshot, String(index)).svg, 400),
  }));
  const sequence = sequenceSvg(report);
  return [...overlays, ...(sequence ? [{ file: "sequence.svg", svg: standalone(sequence.svg) }] : [])];
}

/** A repair on the sequence diagram: the new link between the two lanes, at its time, labelled at the dialler. */
function repairMark(report: RunReport, repair: Repair, laneX: Map<string, number>, y: number): string {
  const x1 = laneX.get(repair.peer);
  const x2 = laneX.get(repair.neighbor);
  if (x1 === undefined || x2 === undefined || x1 === x2) return "";
  const after = repair.loss ? `, ${repair.loss.afterMs} ms after ${repair.loss.description}` : "";
  const tip = `${repair.peer} dialled ${repair.neighbor} on its own (a repair), ${offsetLabel(report, repair.at)}${after}`;
  const toward = x2 > x1 ? 1 : -1;
  return `<g class="repair-mark"><title>${esc(tip)}</title><line x1="${fx(x1)}" y1="${fx(y)}" x2="${fx(x2)}" y2="${fx(y)}" class="repair"/><circle cx="${fx(x1)}" cy="${fx(y)}" r="4" class="repair-end"/><circle cx="${fx(x2)}" cy="${fx(y)}" r="4" class="repair-end"/><text x="${fx(x1 + toward * 8)}" y="${fx(y - 5)}"${toward < 0 ? ` text-anchor="end"` : ""} class="repair-label">repair</text></g>`;
}

/** Lanes with their names on top; a lane is dashed grey while its peer is killed, stopped, paused or dead. */
function laneLines(lanes: string[], laneX: Map<string, number>, rows: Row[], ys: number[], height: number): string {
  const out: string[] = [];
  for (const peer of lanes) {
    const x = laneX.get(peer)!;
    out.push(
      `<text x="${fx(x)}" y="${LANE_TOP - 20}" text-anchor="middle" class="lane-name">${esc(truncate(peer, 16))}</text>`,
    );
    out.push(`<rect x="${fx(x - 3)}" y="${LANE_TOP - 12}" width="6" height="6" rx="1" class="lane-head"/>`);
    let segmentStart = LANE_TOP - 6;
    let down = false;
    rows.forEach((row, index) => {
      const change = laneChange(row, peer);
      if (!change) return;
      const goesDown = change === "down";
      const comesUp = change === "up";
      if ((goesDown && !down) || (comesUp && down)) {
        out.push(
          `<line x1="${fx(x)}" y1="${fx(segmentStart)}" x2="${fx(x)}" y2="${fx(ys[index]!)}" class="lane${down ? " down" : ""}"/>`,
        );
        segmentStart = ys[index]!;
        down = goesDown;
      }
    });
    out.push(
      `<line x1="${fx(x)}" y1="${fx(segmentStart)}" x2="${fx(x)}" y2="${fx(height - 10)}" class="lane${down ? " down" : ""}"/>`,
    );
  }
  return out.join("");
}

/** Whether a row takes the peer's lane down or brings it up. */
function laneChange(row: Row, peer: string): "down" | "up" | undefined {
  if (row.kind === "action" && row.action.target === peer && isProcessFault(row.action.action)) {
    return isUp(PROCESS_FAULTS[row.action.action].leaves) ? "up" : "down";
  }
  if (row.kind === "engine" && row.change.target === peer)
    return row.change.change === "die" || row.change.change === "pause" ? "down" : "up";
  return undefined;
}

function arrowMarker(kind: Forward["kind"], colour: string): string {
  return `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${colour}"/></marker>`;
}

// ── Expectations, figures, actions ──────────────────────────────────────────────────────────

function expectationsSection(report: RunReport): string {
  if (report.expectations.length === 0) {
    return `<section id="expectations"><h2>Expectations</h2><p class="muted">The scenario has no expectations.</p></section>`;
  }
  const passed = report.expectations.filter((e) => e.ok).length;
  const items = report.expectations.map(
    (e) =>
      `<li class="${e.ok ? "ok" : "bad"}"><details${e.ok ? "" : " open"}><summary><span class="mark">${e.ok ? "✓" : "✗"}</span><span class="step">step ${e.step}</span> ${esc(e.description)} <span class="muted">${esc(offsetLabel(report, e.at))}</span></summary><pre>${esc(e.detail)}</pre></details></li>`,
  );
  return `<section id="expectations"><h2>Expectations <span class="count">${passed} of ${report.expectations.length} held</span></h2><ul class="expectations">${items.join("\n")}</ul></section>`;
}

function statsSection(report: RunReport): string {
  const latency = report.latency;
  const figure = (name: string, value: string): string =>
    `<div class="figure"><div class="value">${esc(value)}</div><div class="name">${esc(name)}</div></div>`;
  const dash = latency.count === 0;
  const figures = [
    figure("count", String(latency.count)),
    figure("mean", dash ? "—" : formatDuration(latency.meanMs)),
    figure("p50", dash ? "—" : formatDuration(latency.p50Ms)),
    figure("p95", dash ? "—" : formatDuration(latency.p95Ms)),
    figure("max", dash ? "—" : formatDuration(latency.maxMs)),
  ].join("");
  const rows = DELIVERY_CLASSES.map((klass) => {
    const level = isFailable(klass) ? report.check.levels[klass] : undefined;
    const failing = isFailable(klass) && report.check.failing.includes(klass);
    const levelCell =
      level === undefined
        ? `<span class="muted">—</span>`
        : `<span class="level ${level}${failing ? " failing" : ""}">${esc(level)}${failing ? " ✗" : ""}</span>`;
    return `<tr${failing ? ` class="failing"` : ""}><th scope="row"><span class="chip c-${klass}">${esc(klass)}</span></th><td class="num">${report.check.counts[klass] ?? 0}</td><td>${levelCell}</td></tr>`;
  }).join("");
  return `<section id="figures" class="two-up">
<div><h2>Latency</h2><p class="lead">First showing minus send time, over every delivered or late copy except the sender's own.</p><div class="figures">${figures}</div>${latencySplit(report)}</div>
<div><h2>Checker</h2><table class="counts"><thead><tr><th scope="col">class</th><th scope="col">cells</th><th scope="col">level</th></tr></thead><tbody>${rows}</tbody></table></div>
</section>`;
}

/** Clean copies beside those whose path a loss, delay or rate fault slowed, when there were such faults. */
function latencySplit(report: RunReport): string {
  const split = report.latencyUnderFaults;
  if (!split) return "";
  const row = (name: string, latency: LatencySummary): string =>
    `<tr><th scope="row">${esc(name)}</th><td class="num">${latency.count}</td>${[latency.meanMs, latency.p50Ms, latency.p95Ms, latency.maxMs].map((ms) => `<td class="num">${latency.count === 0 ? "—" : esc(formatDuration(ms))}</td>`).join("")}</tr>`;
  return `<p class="lead split-lead">Split by the network: copies whose path crossed a link with loss, delay or a rate limit in force when the message was sent (either direction: TCP needs both), and the rest.</p><table class="counts latency-split"><thead><tr><th scope="col">copies</th><th scope="col">count</th><th scope="col">mean</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">max</th></tr></thead><tbody>${row("clean", split.clean)}${row("slowed by loss, delay or rate", split.degraded)}</tbody></table>`;
}

/** Payload frames per broadcast against the floor N − 1, by sender mode, and heal mode's repairs; nothing for a summary without. */
function costSection(report: RunReport): string {
  if (!report.cost) return "";
  const rows = costRows(report);
  const table =
    rows.length === 0
      ? `<p class="muted">No messages were sent.</p>`
      : `<div class="scroll"><table class="counts cost"><thead><tr><th scope="col">sender's mode</th><th scope="col">broadcasts</th><th scope="col">frames</th><th scope="col">floor N − 1</th><th scope="col">× the floor</th><th scope="col">duplicates</th><th scope="col">hop-limit drops</th></tr></thead><tbody>${rows
          .map(
            (row) =>
              `<tr><th scope="row">${esc(row.mode)}</th>${[row.broadcasts, row.frames, row.floor, row.ratio, row.duplicates, row.hopLimitDrops].map((value) => `<td class="num">${esc(value)}</td>`).join("")}</tr>`,
          )
          .join("")}</tbody></table></div>`;
  const mixed = costMixedNote(report);
  const repairs = repairRows(report);
  const repairList =
    repairs.length === 0
      ? ""
      : `<h3>Repairs</h3><p class="lead">Links heal peers dialled on their own, drawn on the sequence diagram: after the latest lab action that silenced links, and after the peer's own latest <code>link-down</code>.</p><div class="scroll"><table class="counts repairs"><thead><tr><th scope="col">when</th><th scope="col">link</th><th scope="col">after the loss</th><th scope="col">after its link-down</th></tr></thead><tbody>${repairs.map((row) => `<tr><td><span class="time">${esc(row.when)}</span></td><td>${esc(row.link)}</td><td>${esc(row.afterLoss)}</td><td>${esc(row.afterLinkDown)}</td></tr>`).join("")}</tbody></table></div>`;
  return `<section id="cost"><h2>Cost</h2><p class="lead">${esc(COST_LEAD)}</p>${table}${mixed ? `<p class="note">${esc(mixed)}</p>` : ""}${repairList}</section>`;
}

/** How long each fault that silenced links took to be noticed, end by end; nothing for a summary without. */
function detectionSection(report: RunReport): string {
  const rows = detectionRows(report);
  if (rows.length === 0) return "";
  const body = rows
    .map(
      (row) =>
        `<tr class="${row.detected ? "detected" : "undetected"}"><td><span class="time">${esc(row.when)}</span> ${esc(row.fault)}</td><td>${esc(row.end)}</td><td class="num">${esc(row.after)}</td><td>${esc(row.reason)}</td></tr>`,
    )
    .join("");
  return `<section id="detection"><h2>Detection</h2><p class="lead">For each fault that silenced links: when each end noticed, by its first <code>link-down</code> while the fault was in force. A killed peer's sockets are closed by its kernel (<code>eof</code> at once); a paused or partitioned one is noticed only when the heartbeat times out.</p><div class="scroll"><table class="counts detection"><thead><tr><th scope="col">fault</th><th scope="col">noticed by</th><th scope="col">after</th><th scope="col">how</th></tr></thead><tbody>${body}</tbody></table></div></section>`;
}

function actionsSection(report: RunReport): string {
  const actions =
    report.actions.length === 0
      ? `<p class="muted">No actions were recorded.</p>`
      : `<ol class="actions">${report.actions.map((action) => `<li><span class="time">${esc(offsetLabel(report, action.ts))}</span> ${esc(describeAction(action))}</li>`).join("")}</ol>`;
  const outside =
    report.outsideLab.length === 0
      ? `<p class="muted">None: every container change the engine saw was lab's own.</p>`
      : `<ol class="actions outside">${report.outsideLab.map((change) => `<li><span class="time">${esc(offsetLabel(report, change.ts))}</span> ${esc(describeEngineRecord(change))}</li>`).join("")}</ol>`;
  return `<section id="actions"><h2>Actions</h2>${actions}<h2 id="outside-lab">Outside lab's control</h2><p class="lead">Container changes the engine saw that no lab action explains: a crash, the OOM killer, a <code>docker kill</code>.</p>${outside}</section>`;
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const STYLE = `
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;
--delivered:#dcfce7;--delivered-fg:#166534;--late:#fef08a;--late-fg:#854d0e;--missing:#fecaca;--missing-fg:#991b1b;
--duplicated:#fed7aa;--duplicated-fg:#9a3412;--unexpected:#e9d5ff;--unexpected-fg:#6b21a8;--unreachable:#f1f5f9;--unreachable-fg:#94a3b8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
main{max-width:1280px;margin:0 auto;padding:24px clamp(12px,3vw,32px) 48px}
header,section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 24px;margin:0 0 20px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
h1{font-size:28px;margin:0;letter-spacing:-.01em}
h2{font-size:18px;margin:0 0 8px}
.title-row{display:flex;align-items:center;gap:16px;flex-wrap:wrap}
.badge{display:inline-block;padding:4px 14px;border-radius:999px;font-weight:700;font-size:16px;letter-spacing:.04em;color:#fff}
.badge.pass{background:#16a34a}.badge.fail{background:#dc2626}
.description{margin:6px 0 12px;color:#334155;font-size:16px}
.meta{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0}
.meta dt{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.meta dd{margin:0}
.reasons{margin-top:16px;background:#fef2f2;border:1px solid #fecaca;border-radius:8px;padding:12px 16px}
.reasons h2{font-size:15px;color:#991b1b;margin:0 0 4px}
.reasons ul{margin:0;padding-left:20px}
.journal-warning{margin-top:16px;background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:12px 16px}
.journal-warning h2{font-size:15px;color:#92400e;margin:0 0 4px}
.journal-warning p{margin:0}
.lead{color:var(--muted);margin:0 0 12px}
.muted{color:var(--muted)}
code,pre,.time{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
.graphs{display:flex;flex-wrap:wrap;gap:16px}
.graph{margin:0;flex:1 1 300px;max-width:380px;border:1px solid var(--line);border-radius:10px;padding:8px 8px 10px;background:#fcfdfe}
.graph svg{width:100%;height:auto;display:block}
.graph figcaption{text-align:center;font-size:14px}
.partitions{font-size:13px;color:#334155}
${OVERLAY_STYLE}
.graph .network{list-style:none;margin:4px 0 0;padding:0;font-size:12px;color:#991b1b}
.split-lead{margin-top:12px}
.detection tr.undetected td{color:#92400e}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 20px;padding:0;margin:12px 0 4px;font-size:13px;color:#334155}
.legend li{display:flex;align-items:center;gap:6px}
.legend svg{flex:none}
.chip{display:inline-block;min-width:84px;text-align:center;border-radius:6px;padding:1px 8px;font-size:12px;font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse}
.matrix{width:100%;margin-top:8px;font-size:14px}
.matrix th,.matrix td{border:1px solid var(--line);padding:6px 10px}
.matrix thead th{background:#f1f5f9;font-weight:600;position:sticky;top:0}
.matrix tbody th{text-align:left;font-weight:500;white-space:nowrap}
.matrix td{text-align:center;white-space:nowrap;font-variant-numeric:tabular-nums}
.origin{font-weight:700}
.c-delivered{background:var(--delivered);color:var(--delivered-fg)}
.c-late{background:var(--late);color:var(--late-fg)}
.c-missing{background:var(--missing);color:var(--missing-fg);font-weight:600}
.c-duplicated{background:var(--duplicated);color:var(--duplicated-fg);font-weight:600}
.c-unexpected{background:var(--unexpected);color:var(--unexpected-fg)}
.c-unreachable{background:var(--unreachable);color:var(--unreachable-fg)}
.c-sender{background:#fff;color:var(--muted);font-style:italic;border:1px solid var(--line)}
.sequence{display:block;margin-top:4px}
.sequence .lane{stroke:#cbd5e1;stroke-width:2}
.sequence .lane.down,.legend .lane.down{stroke:#cbd5e1;stroke-width:2;stroke-dasharray:3 4}
.sequence .lane-name{font-size:14px;font-weight:700;fill:#0f172a}
.sequence .lane-head{fill:#475569}
.arrow{stroke-width:1.6}
.arrow.recv{stroke:#334155}
.arrow.dup{stroke:#ea580c;stroke-dasharray:6 4}
.arrow.hop-limit{stroke:#dc2626;stroke-dasharray:2 3;stroke-width:2}
.arrow-note{font-size:11px;font-weight:600}
.arrow-note.dup{fill:#ea580c}.arrow-note.hop-limit{fill:#dc2626}
.send circle{fill:#0f172a}
.send text{font-size:13px;font-weight:600;fill:#0f172a;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
.send text .muted{fill:#64748b;font-weight:400}
.sequence .time{fill:#64748b;font-size:11px;paint-order:normal;stroke:none}
.action-band,.action-swatch{fill:#eef2ff;stroke:#c7d2fe}
.engine-band{fill:#fef2f2;stroke:#fca5a5}
.action-label{font-size:12px;font-weight:600;fill:#3730a3;paint-order:stroke;stroke:#eef2ff;stroke-width:5px;stroke-linejoin:round}
.sequence .repair,.legend .repair{stroke:#16a34a;stroke-width:2.5;stroke-dasharray:8 3}
.repair-end{fill:#16a34a}
.repair-label{font-size:11px;font-weight:700;fill:#15803d;paint-order:stroke;stroke:#fff;stroke-width:4px}
h3{font-size:15px;margin:16px 0 6px}
.gap line{stroke:#94a3b8;stroke-dasharray:1 5;stroke-width:1.5}
.gap text{font-size:11px;fill:#64748b}
.note{color:#9a3412;font-size:13px}
.count{font-weight:400;color:var(--muted);font-size:14px;margin-left:8px}
.expectations{list-style:none;padding:0;margin:0}
.expectations li{border:1px solid var(--line);border-radius:8px;margin:0 0 8px;padding:8px 12px}
.expectations li.bad{border-color:#fca5a5;background:#fef2f2}
.expectations summary{cursor:pointer}
.expectations .mark{display:inline-flex;align-items:center;justify-content:center;width:22px;height:22px;border-radius:50%;color:#fff;font-weight:700;font-size:13px;margin-right:8px}
.expectations .ok .mark{background:#16a34a}.expectations .bad .mark{background:#dc2626}
.step{font-size:12px;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 6px;margin-right:6px;background:#fff}
.expectations pre{margin:8px 0 2px;padding:10px 12px;background:#0f172a;color:#e2e8f0;border-radius:6px;overflow-x:auto;white-space:pre}
.two-up{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:24px}
.figures{display:flex;flex-wrap:wrap;gap:10px}
.figure{flex:1 1 90px;border:1px solid var(--line);border-radius:8px;padding:10px 12px;text-align:center}
.figure .value{font-size:22px;font-weight:700;font-variant-numeric:tabular-nums}
.figure .name{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.counts{width:100%;font-size:14px}
.counts th,.counts td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left}
.counts .num{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.counts tr.failing{background:#fef2f2}
.level{font-size:12px;font-weight:600;border-radius:4px;padding:1px 6px}
.level.fail{color:#991b1b;background:#fee2e2}.level.warn{color:#854d0e;background:#fef9c3}.level.ignore{color:var(--muted);background:#f1f5f9}
.level.failing{background:#dc2626;color:#fff}
.actions{margin:0;padding-left:22px;columns:2 320px}
.actions .time{color:var(--muted);margin-right:6px}
footer{text-align:center;color:var(--muted);font-size:12px}
`;
