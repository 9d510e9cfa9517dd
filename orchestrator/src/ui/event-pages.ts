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
 * not take what it is sent (a slow one, or one gone without closing) is dropped once more than
 * `maxPendingBytes` wait for it, so no page holds the server's memory without bound; it can open
 * the stream again and get a fresh hello.
 */
export class EventPages {
  private readonly pages = new Set<EventSink>();
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    private readonly maxPendingBytes = MAX_PENDING_BYTES,
    keepAliveMs = KEEP_ALIVE_MS,
  ) {
    this.keepAlive = setInterval(() => {
      for (const page of this.pages) this.write(page, ": keep-alive\n\n");
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
    this.write(page, `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  broadcast<K extends keyof UiEvents>(type: K, data: UiEvents[K]): void {
    for (const page of this.pages) this.send(page, type, data);
  }

  /** Ends every stream. */
  close(): void {
    clearInterval(this.keepAlive);
    for (const page of this.pages) page.end();
    this.pages.clear();
  }

  private write(page: EventSink, text: string): void {
    page.write(text);
    if (page.writableLength > this.maxPendingBytes) {
      this.pages.delete(page);
      page.destroy();
    }
  }
}
