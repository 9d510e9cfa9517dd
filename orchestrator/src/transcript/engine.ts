import type { ContainerChange, ContainerEvent, ContainerInfo } from "../runtime/runtime.js";

/**
 * A change of a peer's container as the engine saw it, whoever caused it. In the timeline
 * beside the peers' events and lab's actions (as `"peer": "engine"`), it tells the checker about
 * deaths lab did not cause (a crash, the OOM killer, `docker kill`), and it outlives the journal.
 */
export interface EngineRecord {
  ts: string;
  peer: "engine";
  ev: "container";
  /** The peer whose container changed. */
  target: string;
  change: ContainerChange;
  /** For "die": the process's exit code. */
  exitCode?: number;
  /**
   * "events": the engine's event stream. "state": the container's own last start or finish
   * time, used when the stream no longer held that change (the engine keeps only its latest events).
   */
  source: "events" | "state";
}

/** The engine's events for each peer's container, completed by the container's last start and finish. */
export function engineRecords(events: ContainerEvent[], containers: Map<string, ContainerInfo>): EngineRecord[] {
  const records: EngineRecord[] = [];
  for (const [peer, info] of containers) {
    const seen = events
      .filter((event) => event.id === info.id)
      .map((event) => record(peer, event.change, event.ts, "events", event.exitCode));
    records.push(...seen);
    const startedAt = engineTime(info.startedAt);
    if (startedAt && !seen.some((r) => r.change === "start" && r.ts >= startedAt))
      records.push(record(peer, "start", startedAt, "state"));
    const finishedAt = engineTime(info.finishedAt);
    const stopped = info.state === "exited" || info.state === "dead";
    // A die event is logged after the engine notes the finish time, so one at or after it is this death.
    if (
      stopped &&
      finishedAt &&
      finishedAt >= (startedAt ?? "") &&
      !seen.some((r) => r.change === "die" && r.ts >= finishedAt)
    ) {
      records.push(record(peer, "die", finishedAt, "state", info.exitCode));
    }
  }
  return records.sort((a, b) => a.ts.localeCompare(b.ts));
}

function record(
  target: string,
  change: ContainerChange,
  ts: string,
  source: EngineRecord["source"],
  exitCode?: number,
): EngineRecord {
  return {
    ts,
    peer: "engine",
    ev: "container",
    target,
    change,
    ...(exitCode === undefined ? {} : { exitCode }),
    source,
  };
}

/** The engine's nanosecond times, trimmed to the milliseconds of every other timestamp. */
function engineTime(time: string): string | undefined {
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

const CHANGE_WORDS: Record<ContainerChange, string> = {
  start: "started",
  die: "died",
  pause: "paused",
  unpause: "unpaused",
};

/** "engine: bob died (exit 137)". */
export function describeEngineRecord(record: EngineRecord): string {
  const details = [
    record.exitCode === undefined ? undefined : `exit ${record.exitCode}`,
    record.source === "state" ? "from the container's state" : undefined,
  ].filter((detail) => detail !== undefined);
  return `engine: ${record.target} ${CHANGE_WORDS[record.change]}${details.length ? ` (${details.join("; ")})` : ""}`;
}
