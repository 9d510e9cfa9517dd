import type { UiActionRequest, UiEvents, UiFeedItem, UiHello, UiStatus } from "../protocol.js";
import { postAction } from "./action-client.js";
import { byId, el } from "./dom.js";
import { LiveGraph } from "./live-graph.js";
import { PeerMenu } from "./peer-menu.js";
import { networkRequest } from "./requests.js";

/**
 * `lab ui`'s page: the lab's graph, status and feed from GET /events (protocol.ts), and the CLI's
 * actions through POST /api/action. The skeleton is page-html.ts's; this fills it in.
 */

/** Feed lines kept: enough to scroll back through a burst, few enough to stay light. */
const FEED_LINES = 300;

const token = document.querySelector<HTMLMetaElement>('meta[name="p2plab-token"]')?.content ?? "";
const status = byId("status");
const network = byId("network");
const feed = byId("feed");
const result = byId("result");
const graph = new LiveGraph(byId("graph"), (peer, node) => menu.open(peer, node));
const menu = new PeerMenu(
  byId("graph-box"),
  (peer) => graph.stateOf(peer),
  (peer) => graph.nodeOf(peer),
  (request) => void act(request),
);

function hello(lab: UiHello): void {
  byId("lab").textContent = lab.lab;
  document.title = `${lab.lab} · p2plab`;
  byId("description").textContent = lab.description ?? "";
  banner("connection");
  banner("lab");
  graph.reset(lab.peers, lab.links, lab.status);
  showStatus(lab.status);
  byId("network-form").hidden = !lab.networkFaults;
  feed.replaceChildren();
  addFeed(lab.feed);
}

function showStatus(now: UiStatus): void {
  status.textContent = now.line;
  const faults = now.overlay.network ?? [];
  network.replaceChildren(...faults.map((fault) => el("li", {}, `network: ${fault}`)));
  if (now.journal !== "running") network.append(el("li", {}, `the lab's journal is ${now.journal}`));
  menu.refresh();
}

/**
 * Newest at the top, by the time each line was printed: peers' logs arrive each at its own pace,
 * so a sender's line can come after its neighbours' receipts. The oldest go beyond FEED_LINES.
 */
function addFeed(items: UiFeedItem[]): void {
  for (const item of items) {
    const line = el("li", { class: `ev-${item.event?.ev ?? "lab"}`, "data-ts": item.ts }, item.text);
    let after = feed.firstElementChild;
    while (after && (after.getAttribute("data-ts") ?? "") > item.ts) after = after.nextElementSibling;
    feed.insertBefore(line, after);
  }
  while (feed.childElementCount > FEED_LINES) feed.lastElementChild!.remove();
}

/** One banner per kind, replaced or cleared (no text) as things change. */
function banner(kind: "connection" | "lab", ...content: Array<Node | string>): void {
  const box = byId("banners");
  box.querySelector(`[data-kind="${kind}"]`)?.remove();
  if (content.length > 0) box.append(el("p", { class: `banner ${kind}`, "data-kind": kind }, ...content));
}

/** Actions asked so far: an answer shows only while its action is the latest asked. */
let asked = 0;

/** An action as the CLI would be asked it, then its answer (the CLI's lines, or the error and fix). */
async function act(request: UiActionRequest): Promise<void> {
  const words = "args" in request ? request.args : [request.peer, ...("text" in request ? [request.text] : [])];
  const command = el("p", { class: "command" }, `$ lab ${[request.action, ...words].join(" ")}`);
  const turn = ++asked;
  result.replaceChildren(command, el("p", { class: "pending" }, "…"));
  const answer = await postAction(token, request);
  if (turn !== asked) return;
  result.replaceChildren(
    command,
    ...(answer.ok
      ? [el("pre", { class: "ok" }, answer.lines.join("\n"))]
      : [el("p", { class: "error" }, answer.error), ...(answer.hint ? [el("p", { class: "hint" }, answer.hint)] : [])]),
  );
}

function listen<K extends keyof UiEvents>(source: EventSource, type: K, handle: (data: UiEvents[K]) => void): void {
  source.addEventListener(type, (event) => handle(JSON.parse((event as MessageEvent<string>).data) as UiEvents[K]));
}

const events = new EventSource("/events");
listen(events, "hello", hello);
listen(events, "status", (now) => {
  graph.update(now);
  showStatus(now);
});
listen(events, "feed", (items) => {
  addFeed(items);
  graph.animate(items);
});
listen(events, "lab-down", (down) => {
  const report = down.report ? [" ", el("a", { href: down.report }, "open the report")] : [];
  banner("lab", down.message, ...report);
});
listen(events, "engine-gone", (gone) => banner("lab", gone.message));
// EventSource reconnects by itself; the next hello replaces this.
events.addEventListener("error", () => banner("connection", "lost the lab ui server: reconnecting…"));

const networkForm = byId<HTMLFormElement>("network-form");
networkForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = networkForm.elements.namedItem("fault") as HTMLInputElement;
  const request = networkRequest(input.value);
  if ("error" in request) result.replaceChildren(el("p", { class: "error" }, request.error));
  else void act(request);
});

const big = byId("big");
big.addEventListener("click", () => {
  const on = document.documentElement.classList.toggle("big");
  big.setAttribute("aria-pressed", String(on));
});
