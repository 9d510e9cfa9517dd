import { networkStateAfter } from "../check/timeline-state.js";
import type { NetworkState } from "../faults/network-faults.js";
import type { ContainerInfo, Runtime } from "../runtime/runtime.js";
import { encodeAction, mergeActions, parseAction, type Action } from "../transcript/journal.js";
import { followPeers } from "./follow.js";

/**
 * The network faults in force, for `watch`: the journal's actions followed as they are written,
 * so each poll knows the faults without reading the journal again. Seeded with the actions
 * already read, which the stream delivers again: each action counts once.
 */
export class NetworkFollower {
  private readonly actions = new Map<string, Action>();
  private readonly ended: Promise<void>;
  /** False once the journal's log stream has ended: it stopped, or was removed. */
  following = true;

  constructor(
    runtime: Pick<Runtime, "logs">,
    journal: ContainerInfo | undefined,
    known: readonly Action[],
    signal: AbortSignal,
    /** Told each action the stream brings that changes the faults in force. */
    private readonly onFault: () => void = () => {},
  ) {
    known.forEach((action) => this.add(action));
    this.ended = (
      journal
        ? followPeers(
            runtime,
            new Map([["journal", { id: journal.id }]]),
            (line) => {
              const action = parseAction(line.text);
              if (action && this.add(action)) this.onFault();
            },
            signal,
          )
        : Promise.resolve()
    ).finally(() => {
      this.following = false;
    });
  }

  get state(): NetworkState {
    return networkStateAfter(mergeActions([...this.actions.values()], []));
  }

  /** Waits for the stream to end (it does once the signal aborts, or the journal stops). */
  closed(): Promise<void> {
    return this.ended;
  }

  /** Whether it was a fault not known yet. */
  private add(action: Action): boolean {
    const key = encodeAction(action);
    if (!action.fault || this.actions.has(key)) return false;
    this.actions.set(key, action);
    return true;
  }
}
