import type { PeerStatus } from "../../faults/peer-status.js";
import { overlaySvg, type OverlayDrawing } from "../../report/overlay-svg.js";
import type { UiFeedItem, UiStatus } from "../protocol.js";
import { hopsToAnimate, type Hop } from "./message-paths.js";

const SVG_NS = "http://www.w3.org/2000/svg";
/** How long a message's dot takes to cross a link. */
const HOP_MS = 400;

/**
 * The lab's graph, drawn by the report's own overlay drawing, redrawn at most once a frame with
 * the latest status. Its nodes are buttons (a click, Enter or Space opens the peer's menu); a
 * layer over it carries the dots of messages crossing links, so a redraw does not cut them short.
 */
export class LiveGraph {
  private peers: string[] = [];
  private links: Array<[string, string]> = [];
  private drawing: OverlayDrawing | undefined;
  /** The latest status, drawn or waiting for the next frame. */
  private status: UiStatus | undefined;
  private scheduled = false;
  private moving = 0;
  private readonly drawingBox: HTMLElement;
  private readonly dots: SVGSVGElement;

  constructor(
    box: HTMLElement,
    private readonly onNode: (peer: string, node: Element) => void,
  ) {
    this.drawingBox = box.appendChild(document.createElement("div"));
    this.drawingBox.className = "drawing";
    this.dots = box.appendChild(document.createElementNS(SVG_NS, "svg"));
    this.dots.setAttribute("class", "dots");
    this.dots.setAttribute("aria-hidden", "true");
    box.addEventListener("click", (event) => this.activate(event));
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") this.activate(event);
    });
  }

  /** A new hello: the peers and configured links the layout follows, drawn at once. */
  reset(peers: string[], links: Array<[string, string]>, status: UiStatus): void {
    this.peers = peers;
    this.links = links;
    this.status = status;
    this.draw();
  }

  /** A status event: drawn on the next frame, only the latest of those that came in between. */
  update(status: UiStatus): void {
    this.status = status;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  /** The state the graph shows for a peer now. */
  stateOf(peer: string): PeerStatus {
    return this.status?.overlay.states[peer] ?? "removed";
  }

  /** The node drawn for a peer, to give focus back to. */
  nodeOf(peer: string): SVGElement | undefined {
    return this.drawingBox.querySelector<SVGElement>(`[data-peer="${CSS.escape(peer)}"]`) ?? undefined;
  }

  /** Dots along the links the fed messages took (none while the page is hidden: nobody would see them). */
  animate(items: UiFeedItem[]): void {
    if (!this.drawing || document.hidden) return;
    for (const hop of hopsToAnimate(items, this.drawing.positions, this.moving)) this.dot(hop);
  }

  private draw(): void {
    const status = this.status;
    if (!status) return;
    const focused = document.activeElement?.getAttribute("data-peer") ?? undefined;
    this.drawing = overlaySvg(this.peers, this.links, status.overlay, "live");
    this.drawingBox.innerHTML = this.drawing.svg;
    const svg = this.drawingBox.querySelector("svg")!;
    // Its nodes are controls: a group of buttons, not one picture.
    svg.setAttribute("role", "group");
    const { x, y, width, height } = this.drawing.viewBox;
    this.dots.setAttribute("viewBox", `${x} ${y} ${width} ${height}`);
    // overlaySvg draws one node per peer, in the peers' order.
    svg.querySelectorAll("g.node").forEach((node, index) => {
      const peer = this.peers[index]!;
      const title = node.querySelector("title")?.textContent ?? peer;
      node.setAttribute("data-peer", peer);
      node.setAttribute("data-state", status.overlay.states[peer] ?? "removed");
      node.setAttribute("tabindex", "0");
      node.setAttribute("role", "button");
      node.setAttribute("aria-haspopup", "dialog");
      node.setAttribute("aria-label", title);
    });
    if (focused !== undefined) this.nodeOf(focused)?.focus();
  }

  private activate(event: Event): void {
    const node = (event.target as Element).closest("[data-peer]");
    if (!node) return;
    event.preventDefault();
    this.onNode(node.getAttribute("data-peer")!, node);
  }

  private dot(hop: Hop): void {
    const circle = document.createElementNS(SVG_NS, "circle");
    circle.setAttribute("r", "6");
    circle.setAttribute("class", hop.duplicate ? "dot dup" : "dot");
    this.dots.append(circle);
    this.moving++;
    const animation = circle.animate(
      [
        { transform: `translate(${hop.from.x}px, ${hop.from.y}px)` },
        { transform: `translate(${hop.to.x}px, ${hop.to.y}px)` },
      ],
      { duration: HOP_MS, easing: "ease-in-out" },
    );
    animation.onfinish = animation.oncancel = () => {
      this.moving--;
      circle.remove();
    };
  }
}
