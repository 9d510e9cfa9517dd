/**
 * Several async streams as one, each item yielded as soon as its stream gives it; ends when all
 * have ended. The first stream to fail ends the merge with its error (the others are returned),
 * and aborting the signal ends it at once.
 */
export async function* mergeStreams<T>(streams: Array<AsyncIterable<T>>, signal?: AbortSignal): AsyncIterable<T> {
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  type Pulled = { index: number; result: IteratorResult<T> } | { index: number; error: unknown };
  const pending = new Map<number, Promise<Pulled>>();
  // A failure is caught as it happens, so a stream that fails after the merge ended is no unhandled rejection.
  const pull = (index: number) =>
    pending.set(
      index,
      iterators[index]!.next().then(
        (result) => ({ index, result }),
        (error: unknown) => ({ index, error }),
      ),
    );
  iterators.forEach((_, index) => pull(index));
  let onAbort = (): void => {};
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (signal?.aborted) resolve("aborted");
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    while (pending.size > 0) {
      const next = await Promise.race([...pending.values(), aborted]);
      if (next === "aborted") return;
      if ("error" in next) {
        pending.delete(next.index);
        throw next.error;
      }
      if (next.result.done) {
        pending.delete(next.index);
        continue;
      }
      pull(next.index);
      yield next.result.value;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Streams still open are told to end, without waiting: a generator ends only after its pending
    // read, which the signal they were given (the same one) ends.
    for (const index of pending.keys()) void iterators[index]!.return?.(undefined).catch(() => undefined);
  }
}
