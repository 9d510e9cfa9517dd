import { LABEL } from "../plan/labels.js";
import type { ContainerEvent, ContainerInfo, Runtime } from "../runtime/runtime.js";
import { EngineWatch } from "./engine-watch.js";

/**
 * A lab's peer containers as read once, then kept current by the engine's container events: one
 * event stream whatever the lab's size, where reading the lab again cost a list and an inspect
 * per container. A container that starts again is inspected once, for the address the engine
 * gives it on the lab network. `onStart` is told each start that was not read, as it comes: that
 * process's log is a new one to follow.
 */
export class PeerStates {
  private readonly infos: Map<string, ContainerInfo>;
  private readonly engine: EngineWatch;
  private readonly inspections = new Set<Promise<void>>();

  constructor(
    private readonly runtime: Pick<Runtime, "containerEvents" | "inspect">,
    lab: string,
    peers: Map<string, ContainerInfo>,
    /** Replayed from this ISO time: events before the read are told apart from later ones by their time and the state read. */
    since: string,
    private readonly onStart: (peer: string, ts: string) => void = () => {},
    /** Told after each change it applied, whatever it was (the live view redraws). */
    private readonly onChange: () => void = () => {},
  ) {
    this.infos = new Map([...peers].map(([peer, info]) => [peer, { ...info }]));
    this.engine = new EngineWatch(runtime, { [LABEL.lab]: lab, [LABEL.role]: "peer" }, since, (event) =>
      this.changed(event),
    );
  }

  /** Each peer's container as it is now (copies: later changes do not reach them). */
  current(): Map<string, ContainerInfo> {
    return new Map([...this.infos].map(([peer, info]) => [peer, { ...info }]));
  }

  /** False once the engine's event stream ended on its own (the engine went away, or closed it): states are then stale. */
  get following(): boolean {
    return this.engine.following;
  }

  /** The engine's events for the lab's peers so far. */
  get events(): ContainerEvent[] {
    return this.engine.events;
  }

  /**
   * What an inspect of a peer's container made after lab changed it says: taken unless the
   * events already told of something later. A start it tells of is told to `onStart` as an
   * event's would be.
   */
  inspected(peer: string, inspected: ContainerInfo): void {
    const info = this.infos.get(peer);
    if (!info || info.id !== inspected.id || lastChange(inspected) < lastChange(info)) return;
    const started = msOf(inspected.startedAt) > msOf(info.startedAt);
    this.infos.set(peer, { ...inspected });
    if (started) this.onStart(peer, inspected.startedAt);
    this.onChange();
  }

  /** Ends the event stream and any inspect under way. */
  async close(): Promise<void> {
    await this.engine.close();
    await Promise.all(this.inspections);
  }

  /**
   * A container change, applied unless it is older than what is known. A start is new only to a
   * container not known to run: the engine logs a start event a moment after the start time it
   * reports, so the time alone cannot tell the start that was read.
   */
  private changed(event: ContainerEvent): void {
    const peer = [...this.infos].find(([, info]) => info.id === event.id)?.[0];
    if (peer === undefined) return;
    const info = this.infos.get(peer)!;
    const time = Date.parse(event.ts);
    if (time < lastChange(info)) return;
    if (event.change === "start") {
      if (isLive(info)) return;
      Object.assign(info, { state: "running", startedAt: event.ts });
      this.onStart(peer, event.ts);
      this.readAddress(peer, info.id, event.ts);
    } else if (event.change === "die") {
      Object.assign(info, { state: "exited", finishedAt: event.ts, exitCode: event.exitCode ?? info.exitCode });
      // A container that does not run has no address (runtime.ts ContainerInfo).
      delete info.address;
    } else if (isLive(info)) {
      info.state = event.change === "pause" ? "paused" : "running";
    }
    this.onChange();
  }

  /** The address of a container that started again, kept while that start is still the latest. */
  private readAddress(peer: string, id: string, startedAt: string): void {
    const inspection = this.runtime
      .inspect(id)
      .then((inspected) => {
        const info = this.infos.get(peer)!;
        if (info.startedAt !== startedAt || !isLive(info)) return;
        if (inspected.address === undefined) delete info.address;
        else info.address = inspected.address;
      })
      .catch(() => {
        // Removed under us: its die event, or lab down, says what became of it.
      })
      .finally(() => this.inspections.delete(inspection));
    this.inspections.add(inspection);
  }
}

function isLive(info: ContainerInfo): boolean {
  return info.state === "running" || info.state === "paused" || info.state === "restarting";
}

/** The time of the latest start or finish known of a container, in ms. */
function lastChange(info: ContainerInfo): number {
  return Math.max(msOf(info.startedAt), msOf(info.finishedAt));
}

/** An engine time in ms; 0 for none (never started, not finished). */
function msOf(iso: string): number {
  return iso ? Date.parse(iso) : 0;
}
