import type { Runtime } from "../../orchestrator/src/runtime/runtime.js";

/** How many times each runtime method was called: what a command costs the engine, counted without one. */
export type CallCounts = Partial<Record<keyof Runtime, number>>;

/**
 * A Runtime that counts the calls made through it, per method, as the engine requests
 * DockerRuntime makes for them, and passes each on unchanged. A log or event stream counts once,
 * when it is asked for (one request, however long it is followed); `listContainers` counts its
 * list and, under `inspect`, the inspect DockerRuntime makes of each container it found.
 */
export class CountingRuntime {
  readonly runtime: Runtime;
  private counts: CallCounts = {};

  constructor(inner: Runtime) {
    this.runtime = new Proxy(inner, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const method = key as keyof Runtime;
          this.count(method, 1);
          const result = (value as (...args: unknown[]) => unknown).apply(target, args);
          if (method !== "listContainers") return result;
          return (result as Promise<unknown[]>).then((found) => {
            this.count("inspect", found.length);
            return found;
          });
        };
      },
    });
  }

  /** The calls since the last reset, per method. */
  get calls(): CallCounts {
    return { ...this.counts };
  }

  /** Every call since the last reset. */
  get total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }

  private count(method: keyof Runtime, requests: number): void {
    this.counts[method] = (this.counts[method] ?? 0) + requests;
  }

  reset(): void {
    this.counts = {};
  }
}
