import type { ServerResponse } from "node:http";
import type { UiEvents } from "./protocol.js";

/** What a page's event stream needs of its response. */
export type EventSink = Pick<ServerResponse, "write" | "writableLength" | "destroy" | "end">;

/** What may wait unsent for one page before it is dropped. */
const MAX_PENDING_BYTES = 1 << 20;
/** A comment now and then, so proxies and browsers keep a quiet stream open. */
const KEEP_ALIVE_MS = 15_000;

/**
 * The event streams of the pages open on a server: an event written to each. A page that does
 * not take what it is sent (a slow one, or one gone without closing) is dropped when more than
 * `maxPendingBytes` still wait for it at the next `dropBehind` (the server calls it before each
 * flush), so no page holds more of the server's memory than that and one flush; it can open the
 * stream again and get a fresh hello. Measured then, not as each event is written: one event or
 * one flush larger than the bound (a hello or a burst of long messages) still goes out whole to a
 * page that reads, else a page opened after them would be dropped on every reconnect.
 */
export class EventPages {
  private readonly pages = new Set<EventSink>();
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    private readonly maxPendingBytes = MAX_PENDING_BYTES,
    keepAliveMs = KEEP_ALIVE_MS,
  ) {
    this.keepAlive = setInterval(() => {
      this.dropBehind();
      for (const page of this.pages) page.write(": keep-alive\n\n");
    }, keepAliveMs);
  }

  get size(): number {
    return this.pages.size;
  }

  /** Starts a page's stream on its response; it leaves the set when the connection closes. */
  open(response: ServerResponse): void {
    response.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", Connection: "keep-alive" });
    response.flushHeaders();
    this.add(response);
    response.on("close", () => this.pages.delete(response));
  }

  add(page: EventSink): void {
    this.pages.add(page);
  }

  send<K extends keyof UiEvents>(page: EventSink, type: K, data: UiEvents[K]): void {
    page.write(frame(type, data));
  }

  /** Serialized once, however many pages are open. */
  broadcast<K extends keyof UiEvents>(type: K, data: UiEvents[K]): void {
    const text = frame(type, data);
    for (const page of this.pages) page.write(text);
  }

  /** Drops the pages that have not taken what they were sent since the last time: more than the bound waits. */
  dropBehind(): void {
    for (const page of this.pages) {
      if (page.writableLength <= this.maxPendingBytes) continue;
      this.pages.delete(page);
      page.destroy();
    }
  }

  /** Ends every stream. */
  close(): void {
    clearInterval(this.keepAlive);
    for (const page of this.pages) page.end();
    this.pages.clear();
  }
}

/** One event as the stream carries it: an `event:` line and one JSON `data:` line. */
function frame<K extends keyof UiEvents>(type: K, data: UiEvents[K]): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
