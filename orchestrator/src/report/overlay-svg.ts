import type { CutLink } from "../check/overlay.js";
import type { OverlaySnapshot } from "../check/run-report.js";
import { pairText } from "../faults/pair-text.js";
import { linkKey } from "../topology/link-key.js";
import { escapeHtml as esc } from "./escape-html.js";

/**
 * One overlay drawn as SVG: the report's pictures and `lab ui`'s live page draw with this, so
 * both show the same layout and colours. Pure, and free of node: imports and zod, so the page's
 * browser bundle carries it.
 */

/** Partition colours, in order of each partition's first peer; none of them means a state. */
export const PARTITION_PALETTE = [
  "#2563eb",
  "#0d9488",
  "#7c3aed",
  "#db2777",
  "#0891b2",
  "#65a30d",
  "#4f46e5",
  "#b45309",
];
/** Peers that are gone until restarted: drawn grey with ✕. */
const DEAD_STATES: ReadonlySet<string> = new Set(["killed", "exited", "removed"]);
export const DEAD_FILL = "#9ca3af";
export const PAUSED_FILL = "#f59e0b";
/** The drawing's side in user units, before the room its labels need. */
const SIZE = 320;

/** The drawing's own rules (lines, labels, the cut mark), for any page or file that shows it. */
export const OVERLAY_STYLE = `svg text{font-family:inherit}
.topology .label{font-size:13px;fill:#0f172a;font-weight:600}
.topology .label.small{font-size:9px;font-weight:500}
line.live{stroke:#334155;stroke-width:2.5}
line.configured{stroke:#94a3b8;stroke-width:1.5;stroke-dasharray:5 4}
line.cut{stroke:#dc2626;stroke-width:2;stroke-dasharray:6 4}
.cut-mark{font-size:16px;fill:#dc2626;text-anchor:middle;dominant-baseline:middle;paint-order:stroke;stroke:#fff;stroke-width:4px}`;

export interface Point {
  x: number;
  y: number;
}

export interface OverlayDrawing {
  /** `<svg class="topology" …>`: one `<g class="node">` per peer, in `peers` order, after the links. */
  svg: string;
  /** Each peer's centre, in the drawing's user units. */
  positions: Map<string, Point>;
  viewBox: { x: number; y: number; width: number; height: number };
  nodeRadius: number;
}

/**
 * The live overlay of one snapshot over the configured links: peers on a circle (the same place
 * in every snapshot), coloured by partition, dead and paused peers marked, cut links drawn as
 * such. `ids` makes the drawing's element ids unique when a page shows several.
 */
export function overlaySvg(
  peers: string[],
  configuredLinks: Array<[string, string]>,
  snapshot: OverlaySnapshot,
  ids: string,
): OverlayDrawing {
  const count = peers.length;
  const nodeRadius = count <= 12 ? 17 : count <= 40 ? 8 : 4;
  const showLabels = count <= 60;
  const center = { x: SIZE / 2, y: SIZE / 2 };
  const radius = count <= 12 ? 92 : 112;
  const positions = circleLayout(peers, center, radius);

  const partitionOf = new Map<string, number>();
  const ordered = [...snapshot.partitions].sort((a, b) => firstIndex(peers, a) - firstIndex(peers, b));
  ordered.forEach((group, index) => group.forEach((peer) => partitionOf.set(peer, index)));

  const cut = snapshot.cut ?? [];
  const reportedUp = new Set(
    [...snapshot.links, ...cut.map((link) => [link.from, link.to] as const)].map((link) => linkKey(...link)),
  );
  const configured = configuredLinks
    .filter((link) => !reportedUp.has(linkKey(...link)))
    .map((link) => edge(positions, link, "configured"))
    .join("");
  const liveEdges = snapshot.links.map((link) => edge(positions, link, "live")).join("");
  const arrow = `cut-arrow-${ids}`;
  const cutEdges = cut.map((link) => cutEdge(positions, link, nodeRadius, arrow)).join("");
  const defs = cut.some((link) => link.oneWay)
    ? `<defs><marker id="${arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0L10 5L0 10z" fill="#dc2626"/></marker></defs>`
    : "";

  const nodes = peers
    .map((peer) => {
      const p = positions.get(peer)!;
      const state = snapshot.states[peer] ?? "removed";
      const partition = partitionOf.get(peer);
      const label = showLabels ? nodeLabel(peer, p, center, nodeRadius, count) : "";
      return `<g class="node"><title>${esc(`${peer}: ${state}${partition === undefined ? "" : `, partition ${partition + 1}`}`)}</title>${nodeShape(p, nodeRadius, state, partition)}${label}</g>`;
    })
    .join("");

  // Room at the sides for the longest label beside a node on the circle's left or right.
  const labelWidth = showLabels
    ? Math.max(...peers.map((peer) => labelText(peer).length)) * (count <= 12 ? 8 : 5.6)
    : 0;
  const labelGap = count <= 12 ? 10 : 6;
  const pad = Math.max(0, Math.ceil(labelWidth - (SIZE / 2 - radius - nodeRadius - labelGap)) + 4);
  const viewBox = { x: -pad, y: 0, width: SIZE + 2 * pad, height: SIZE };
  const svg = `<svg class="topology" viewBox="${viewBox.x} ${viewBox.y} ${viewBox.width} ${viewBox.height}" role="img" aria-label="${esc(`overlay ${snapshot.label}`)}">${defs}${configured}${liveEdges}${cutEdges}${nodes}</svg>`;
  return { svg, positions, viewBox, nodeRadius };
}

/** The key to the drawing, as list items (`<ul class="legend">` is the caller's). */
export function overlayLegend(): string {
  const swatches = PARTITION_PALETTE.slice(0, 3)
    .map((colour) => `<circle cx="${8 + PARTITION_PALETTE.indexOf(colour) * 12}" cy="8" r="6" fill="${colour}"/>`)
    .join("");
  return `<li><svg width="40" height="16" aria-hidden="true">${swatches}</svg> a partition (one colour each)</li>
<li><svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="7" fill="${DEAD_FILL}"/>${crossMark(8, 8, 7)}</svg> killed / exited / removed</li>
<li><svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="7" fill="${PAUSED_FILL}"/>${pauseMark(8, 8, 7)}</svg> paused</li>
<li><svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="6" fill="#fff" stroke="#64748b" stroke-dasharray="2 2"/></svg> other (created, restarting)</li>
<li><svg width="30" height="10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5" class="live"/></svg> live link</li>
<li><svg width="30" height="10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5" class="configured"/></svg> configured link, not up</li>
<li><svg width="30" height="14" aria-hidden="true"><line x1="1" y1="7" x2="29" y2="7" class="cut"/><text x="15" y="7" class="cut-mark">✂</text></svg> cut by the network: reported up, nothing crosses (an arrow: one way, the direction dropped)</li>`;
}

/** Peers on a circle in `peers` order from the top, clockwise: the same place in every snapshot. */
function circleLayout(peers: string[], center: Point, radius: number): Map<string, Point> {
  const positions = new Map<string, Point>();
  peers.forEach((peer, index) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * index) / Math.max(1, peers.length);
    positions.set(peer, { x: center.x + radius * Math.cos(angle), y: center.y + radius * Math.sin(angle) });
  });
  return positions;
}

/** A partition's colour wins; outside every partition, the state's mark. */
function nodeShape(p: Point, r: number, state: string, partition: number | undefined): string {
  const circle = (fill: string) =>
    `<circle cx="${fx(p.x)}" cy="${fx(p.y)}" r="${r}" fill="${fill}" stroke="#fff" stroke-width="2"/>`;
  if (partition !== undefined) return circle(PARTITION_PALETTE[partition % PARTITION_PALETTE.length]!);
  if (DEAD_STATES.has(state)) return `${circle(DEAD_FILL)}${crossMark(p.x, p.y, r)}`;
  if (state === "paused") return `${circle(PAUSED_FILL)}${pauseMark(p.x, p.y, r)}`;
  return `<circle cx="${fx(p.x)}" cy="${fx(p.y)}" r="${r}" fill="#fff" stroke="#64748b" stroke-width="1.5" stroke-dasharray="3 2"/>`;
}

/** A node's label: long names end in an ellipsis. */
function labelText(peer: string): string {
  return peer.length > 14 ? `${peer.slice(0, 13)}…` : peer;
}

function nodeLabel(peer: string, p: Point, center: Point, nodeRadius: number, count: number): string {
  const dx = p.x - center.x;
  const dy = p.y - center.y;
  const length = Math.hypot(dx, dy) || 1;
  const distance = nodeRadius + (count <= 12 ? 10 : 6);
  const x = p.x + (dx / length) * distance;
  const y = p.y + (dy / length) * distance;
  const anchor = dx / length > 0.3 ? "start" : dx / length < -0.3 ? "end" : "middle";
  const baseline = dy / length > 0.3 ? "hanging" : dy / length < -0.3 ? "auto" : "middle";
  const text = labelText(peer);
  return `<text x="${fx(x)}" y="${fx(y)}" text-anchor="${anchor}" dominant-baseline="${baseline}" class="${count <= 12 ? "label" : "label small"}">${esc(text)}</text>`;
}

function edge(positions: Map<string, Point>, [a, b]: [string, string], kind: "live" | "configured"): string {
  const p = positions.get(a);
  const q = positions.get(b);
  if (!p || !q) return "";
  return `<line x1="${fx(p.x)}" y1="${fx(p.y)}" x2="${fx(q.x)}" y2="${fx(q.y)}" class="${kind}"/>`;
}

/**
 * A link the network cuts: dashed red with ✂ at its middle; a one-way cut ends in an arrow at the
 * peer its dropped packets were for, stopping short of the node so the arrow shows.
 */
function cutEdge(positions: Map<string, Point>, link: CutLink, nodeRadius: number, arrow: string): string {
  const p = positions.get(link.from);
  const q = positions.get(link.to);
  if (!p || !q) return "";
  const length = Math.hypot(q.x - p.x, q.y - p.y) || 1;
  const end = link.oneWay ? (nodeRadius + 3) / length : 0;
  const x2 = q.x - (q.x - p.x) * end;
  const y2 = q.y - (q.y - p.y) * end;
  const title = link.oneWay
    ? `cut ${pairText(link)}: ${link.from}'s packets to ${link.to} are dropped`
    : `cut ${pairText(link)}: packets are dropped both ways`;
  return `<g class="cut-link"><title>${esc(title)}</title><line x1="${fx(p.x)}" y1="${fx(p.y)}" x2="${fx(x2)}" y2="${fx(y2)}" class="cut"${link.oneWay ? ` marker-end="url(#${arrow})"` : ""}/><text x="${fx((p.x + q.x) / 2)}" y="${fx((p.y + q.y) / 2)}" class="cut-mark">✂</text></g>`;
}

function crossMark(x: number, y: number, r: number): string {
  const d = r * 0.45;
  return `<path d="M${fx(x - d)} ${fx(y - d)}L${fx(x + d)} ${fx(y + d)}M${fx(x + d)} ${fx(y - d)}L${fx(x - d)} ${fx(y + d)}" stroke="#fff" stroke-width="${fx(Math.max(1.5, r / 6))}" stroke-linecap="round"/>`;
}

function pauseMark(x: number, y: number, r: number): string {
  const w = r * 0.22;
  const h = r * 0.9;
  return `<rect x="${fx(x - w * 1.6)}" y="${fx(y - h / 2)}" width="${fx(w)}" height="${fx(h)}" fill="#fff"/><rect x="${fx(x + w * 0.6)}" y="${fx(y - h / 2)}" width="${fx(w)}" height="${fx(h)}" fill="#fff"/>`;
}

function firstIndex(peers: string[], group: string[]): number {
  const indexes = group.map((peer) => peers.indexOf(peer)).filter((index) => index >= 0);
  return indexes.length === 0 ? Number.MAX_SAFE_INTEGER : Math.min(...indexes);
}

/** Coordinates to a tenth: short, and the same on every platform. */
export function fx(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
