import { describe, expect, it } from "vitest";
import { waitFor } from "../wait.js";
import { EventPages, type EventSink } from "./event-pages.js";

/** A page's response: `reading` pages take what they are sent at once, the others let it pile up. */
function page(reading: boolean) {
  const sink = {
    written: [] as string[],
    writableLength: 0,
    destroyed: false,
    write(text: string) {
      sink.written.push(text);
      if (!reading) sink.writableLength += Buffer.byteLength(text);
      return reading;
    },
    destroy() {
      sink.destroyed = true;
    },
    end() {},
  };
  return sink;
}

describe("the pages' event streams", () => {
  it("drop a page that does not take what it is sent, once more than the bound waits, and keep the others", () => {
    const pages = new EventPages(1000, 60_000);
    const slow = page(false);
    const quick = page(true);
    pages.add(slow as unknown as EventSink);
    pages.add(quick as unknown as EventSink);
    const item = { ts: "2026-11-26T07:00:00.000Z", peer: "alice", text: "x".repeat(100) };
    for (let i = 0; i < 20; i++) {
      pages.dropBehind();
      pages.broadcast("feed", [item]);
    }
    expect(slow.destroyed).toBe(true);
    expect(slow.writableLength).toBeLessThan(1000 + 200);
    expect(slow.written.length).toBeLessThan(20);
    expect(quick.destroyed).toBe(false);
    expect(quick.written).toHaveLength(20);
    expect(pages.size).toBe(1);
    pages.close();
  });

  it("send a page a burst larger than the bound whole (a hello after long messages), then drop it only if it took none", () => {
    const pages = new EventPages(1000, 60_000);
    const slow = page(false);
    const reading = page(false);
    pages.add(slow as unknown as EventSink);
    pages.add(reading as unknown as EventSink);
    const long = { ts: "2026-11-26T07:00:00.000Z", peer: "alice", text: "x".repeat(5000) };
    // One flush: the feed and then the status, back to back.
    pages.dropBehind();
    pages.broadcast("feed", [long]);
    pages.broadcast("engine-gone", { message: "status" });
    expect([slow.destroyed, reading.destroyed]).toEqual([false, false]);
    expect(slow.written).toHaveLength(2);
    reading.writableLength = 0;
    pages.dropBehind();
    expect([slow.destroyed, reading.destroyed]).toEqual([true, false]);
    expect(pages.size).toBe(1);
    pages.close();
  });

  it("writes each event as one `event:` and one `data:` line, and a comment now and then on a quiet stream", async () => {
    const pages = new EventPages(1000, 10);
    const quiet = page(true);
    pages.add(quiet as unknown as EventSink);
    pages.send(quiet as unknown as EventSink, "engine-gone", { message: "gone\nfor good" });
    expect(quiet.written[0]).toBe('event: engine-gone\ndata: {"message":"gone\\nfor good"}\n\n');
    await waitFor(() => quiet.written.includes(": keep-alive\n\n") || undefined, {
      what: "a keep-alive comment",
      intervalMs: 5,
      timeoutMs: 2000,
      signal: new AbortController().signal,
    });
    pages.close();
  });
});
