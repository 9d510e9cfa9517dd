import type { PeerStatus } from "../../faults/peer-status.js";
import type { UiActionRequest } from "../protocol.js";
import { el } from "./dom.js";
import { processActions } from "./requests.js";

/**
 * The menu a node opens: the process faults valid for the peer's state and "send a message from
 * here". Escape or a click elsewhere closes it and gives the focus back to the node.
 */
export class PeerMenu {
  private peer: string | undefined;
  private shownState: PeerStatus | undefined;
  private readonly heading = el("h2", { id: "menu-heading" });
  private readonly actions = el("div", { class: "menu-actions" });
  private readonly text = el("input", {
    type: "text",
    name: "text",
    autocomplete: "off",
    maxlength: "4096",
    "aria-label": "message text",
    placeholder: "a message",
  });
  private readonly element: HTMLElement;

  constructor(
    private readonly container: HTMLElement,
    private readonly stateOf: (peer: string) => PeerStatus,
    private readonly nodeOf: (peer: string) => SVGElement | undefined,
    private readonly send: (request: UiActionRequest) => void,
  ) {
    const form = el(
      "form",
      { class: "send" },
      el("label", {}, "send a message from here", this.text),
      el("button", { type: "submit" }, "send"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.peer === undefined || this.text.value.trim() === "") return;
      this.send({ action: "send", peer: this.peer, text: this.text.value });
      this.text.value = "";
    });
    this.element = el(
      "div",
      { id: "menu", class: "menu", role: "dialog", "aria-labelledby": "menu-heading", hidden: "" },
      this.heading,
      this.actions,
      form,
    );
    container.append(this.element);
    // Wherever the focus went: Tab leaves the menu open on the way to the other controls.
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
    document.addEventListener("pointerdown", (event) => {
      const target = event.target as Element;
      if (this.peer !== undefined && !this.element.contains(target) && !target.closest?.("[data-peer]")) this.close();
    });
  }

  open(peer: string, node: Element): void {
    this.peer = peer;
    this.shownState = undefined;
    this.refresh();
    this.element.hidden = false;
    this.place(node);
    (this.actions.querySelector("button") ?? this.text).focus();
  }

  /** The peer's state changed (a status came in): its actions follow; what is typed stays. */
  refresh(): void {
    if (this.peer === undefined) return;
    const state = this.stateOf(this.peer);
    if (state === this.shownState) return;
    this.shownState = state;
    this.heading.textContent = `${this.peer} · ${state}`;
    const peer = this.peer;
    const buttons = processActions(state).map((action) => {
      const button = el("button", { type: "button", "data-action": action }, action);
      button.addEventListener("click", () => {
        this.send({ action, peer });
        this.close();
      });
      return button;
    });
    const hadFocus = this.actions.contains(document.activeElement);
    this.actions.replaceChildren(...buttons);
    if (hadFocus) (buttons[0] ?? this.text).focus();
  }

  /** The focus goes back to the node when it was in the menu; a control the user moved on to keeps it. */
  close(): void {
    if (this.peer === undefined) return;
    const peer = this.peer;
    const focusInMenu = this.element.contains(document.activeElement) || document.activeElement === document.body;
    this.peer = undefined;
    this.element.hidden = true;
    if (focusInMenu) this.nodeOf(peer)?.focus();
  }

  /** Beside the node, kept inside the graph's box. */
  private place(node: Element): void {
    const box = this.container.getBoundingClientRect();
    const at = node.getBoundingClientRect();
    const left = Math.min(at.right - box.left + 8, box.width - this.element.offsetWidth - 8);
    const top = Math.min(at.top - box.top, box.height - this.element.offsetHeight - 8);
    this.element.style.left = `${Math.max(8, left)}px`;
    this.element.style.top = `${Math.max(8, top)}px`;
  }
}
