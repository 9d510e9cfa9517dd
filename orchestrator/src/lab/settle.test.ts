import { describe, expect, it } from "vitest";
import { sleep } from "../concurrency.js";
import type { LogLine, LogOptions } from "../runtime/runtime.js";
import { settle, type SettlingLab } from "./settle.js";
import { runningContainer } from "../../../test/support/containers.js";

const OPTIONS = { quietMs: 100, maxMs: 600 };

/** A lab of one running peer that prints a line every `everyMs` for `forMs`, then nothing. */
function labPrinting(everyMs: number, forMs: number): SettlingLab {
  const container = runningContainer("a");
  return {
    containers: async () => ({ peers: new Map([["a", container]]), refused: [] }),
    runtime: {
      logs: async function* (_id: string, options: LogOptions): AsyncIterable<LogLine> {
        const started = Date.now();
        while (!options.signal?.aborted) {
          await sleep(everyMs, options.signal).catch(() => {});
          if (Date.now() - started < forMs && !options.signal?.aborted)
            yield { ts: new Date().toISOString(), stream: "stdout", text: "{}" };
        }
      },
    },
  };
}

describe("settle", () => {
  it("is done once the peers have been quiet for quietMs", async () => {
    const started = Date.now();
    await settle(labPrinting(20, 200), new AbortController().signal, OPTIONS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(550);
  });

  it("reports a lab that never falls quiet after maxMs, as it is then: a busy lab is no error", async () => {
    const started = Date.now();
    await settle(labPrinting(20, 60_000), new AbortController().signal, OPTIONS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it("ends at once on Ctrl-C, with the signal's reason", async () => {
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(new Error("Ctrl-C")), 50);
    const started = Date.now();
    await expect(settle(labPrinting(20, 60_000), interrupt.signal, OPTIONS)).rejects.toThrow("Ctrl-C");
    expect(Date.now() - started).toBeLessThan(300);
  });
});
