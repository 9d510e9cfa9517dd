import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { everyUntilAborted, Nudge, untilAborted, waitFor, WaitTimeoutError } from "./wait.js";

const never = new AbortController().signal;

describe("waitFor", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("checks at once, then every interval, and returns the first value the check gives", async () => {
    const checkedAt: number[] = [];
    const started = Date.now();
    const waited = waitFor(() => (checkedAt.push(Date.now() - started), checkedAt.length === 3 ? "done" : undefined), {
      what: "the third check",
      intervalMs: 250,
      timeoutMs: 5000,
      signal: never,
    });
    await vi.advanceTimersByTimeAsync(500);
    await expect(waited).resolves.toBe("done");
    expect(checkedAt).toEqual([0, 250, 500]);
  });

  it("gives up loudly once the time is up, after one last check at the deadline: what it waited for, and how long", async () => {
    const checkedAt: number[] = [];
    const started = Date.now();
    const waited = waitFor(() => void checkedAt.push(Date.now() - started), {
      what: "a sent event from alice",
      intervalMs: 2000,
      timeoutMs: 5000,
      signal: never,
    });
    const failed = expect(waited).rejects.toThrow(new WaitTimeoutError("a sent event from alice", 5000));
    await vi.advanceTimersByTimeAsync(5000);
    await failed;
    await expect(waited).rejects.toMatchObject({ message: "a sent event from alice not seen after 5s", exitCode: 1 });
    expect(checkedAt).toEqual([0, 2000, 4000, 5000]);
  });

  it("ends at once when the signal aborts, with the signal's reason", async () => {
    const interrupt = new AbortController();
    let checks = 0;
    const waited = waitFor(() => void (checks += 1), {
      what: "nothing",
      intervalMs: 1000,
      timeoutMs: 60_000,
      signal: interrupt.signal,
    });
    await vi.advanceTimersByTimeAsync(1500);
    interrupt.abort(new Error("Ctrl-C"));
    await expect(waited).rejects.toThrow("Ctrl-C");
    expect(checks).toBe(2);
  });

  it("does not check at all under a signal that has already aborted", async () => {
    const interrupt = new AbortController();
    interrupt.abort(new Error("Ctrl-C"));
    const check = vi.fn(() => true);
    await expect(
      waitFor(check, { what: "nothing", intervalMs: 1000, timeoutMs: 1000, signal: interrupt.signal }),
    ).rejects.toThrow("Ctrl-C");
    expect(check).not.toHaveBeenCalled();
  });

  it("checks again as soon as it is nudged, and a nudge during a check is not lost", async () => {
    const nudge = new Nudge();
    let ready = false;
    let checks = 0;
    const waited = waitFor(
      async () => {
        checks += 1;
        if (checks === 1) {
          // The event comes while the first check is still reading.
          ready = true;
          nudge.poke();
        }
        return ready || undefined;
      },
      { what: "the links", intervalMs: 60_000, timeoutMs: 120_000, signal: never, nudge },
    );
    await expect(waited).resolves.toBe(true);
    expect(checks).toBe(1);

    let later = false;
    const second = waitFor(() => later || undefined, {
      what: "the links",
      intervalMs: 60_000,
      timeoutMs: 120_000,
      signal: never,
      nudge,
    });
    await vi.advanceTimersByTimeAsync(10);
    later = true;
    nudge.poke();
    await vi.advanceTimersByTimeAsync(0);
    await expect(second).resolves.toBe(true);
  });
});

describe("everyUntilAborted", () => {
  it("ticks at once and every interval, and returns (no error) when the signal aborts", async () => {
    const interrupt = new AbortController();
    let ticks = 0;
    await everyUntilAborted(5, interrupt.signal, async () => {
      ticks += 1;
      if (ticks === 3) interrupt.abort();
    });
    expect(ticks).toBe(3);
  });
});

describe("untilAborted", () => {
  it("resolves when the signal aborts, and at once when it has", async () => {
    const stop = new AbortController();
    let done = false;
    const waiting = untilAborted(stop.signal).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    stop.abort();
    await waiting;
    expect(done).toBe(true);
    await untilAborted(stop.signal);
  });
});
