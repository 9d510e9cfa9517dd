import type { ContainerEvent, Labels, Runtime } from "../runtime/runtime.js";

/** The engine's container events for some labels, replayed from `since` and then followed live, kept in memory. */
export class EngineWatch {
  readonly events: ContainerEvent[] = [];
  /** False once the stream has ended on its own (the engine closed it): its events are then incomplete. */
  following = true;
  private readonly stop = new AbortController();
  private readonly done: Promise<void>;

  /** `onEvent` is told each event as it comes. */
  constructor(
    runtime: Pick<Runtime, "containerEvents">,
    labels: Labels,
    since: string,
    onEvent: (event: ContainerEvent) => void = () => {},
  ) {
    this.done = (async () => {
      try {
        for await (const event of runtime.containerEvents(labels, { since, signal: this.stop.signal })) {
          this.events.push(event);
          onEvent(event);
        }
      } catch {
        // Said by `following`: the lab then replays what the engine still holds.
      }
      this.following = false;
    })();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.done;
  }
}
