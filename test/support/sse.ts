import { request } from "node:http";

/** One server-sent event as read off the stream. */
export interface ServerEvent {
  type: string;
  data: unknown;
}

/**
 * A small reader of a server-sent event stream, for tests: it reads in the background, keeps
 * every event, and `next` waits (with a deadline) for one of a type that matches.
 */
export class EventStream {
  readonly events: ServerEvent[] = [];
  private readonly stop = new AbortController();
  private readonly waiters = new Set<() => void>();
  private ended = false;

  private constructor() {}

  static async open(url: string): Promise<EventStream> {
    const stream = new EventStream();
    const response = await fetch(url, { signal: stream.stop.signal, headers: { Accept: "text/event-stream" } });
    if (!response.ok || !response.body) throw new Error(`GET ${url}: ${response.status}`);
    void stream.read(response.body);
    return stream;
  }

  /** The first event of `type` (from all read so far and to come) that `match` accepts; fails after `timeoutMs`. */
  async next<T>(type: string, match: (data: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((event) => event.type === type && match(event.data as T));
      if (found) return found.data as T;
      if (this.ended) throw new Error(`the stream ended without a matching ${type} event`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching ${type} event within ${timeoutMs} ms (got: ${this.types()})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  close(): void {
    this.stop.abort();
  }

  private types(): string {
    return this.events.map((event) => event.type).join(", ") || "none";
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of body) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type !== undefined && data !== undefined) this.events.push({ type, data: JSON.parse(data) });
          this.wake();
        }
      }
    } catch {
      // Closed by the test, or by the server.
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
    this.waiters.clear();
  }
}

/** A request with exactly these headers (fetch sets Host and Origin itself): status and body. */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString() }),
      );
      response.on("error", reject);
    });
    sent.on("error", reject);
    sent.end(options.body);
  });
}
