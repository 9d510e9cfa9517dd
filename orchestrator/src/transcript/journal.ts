import { describeNetworkFault, networkFaultSchema, type NetworkFault } from "../faults/network-faults.js";

/**
 * Orchestrator actions (up, send, kill, …) are written as JSON lines into the lab's journal
 * container, so they live in the engine beside the peers' logs: any shell sees them, and
 * `down` saves them with the transcripts.
 */
export interface Action {
  ts: string;
  action: string;
  /** The peer acted on, if any. */
  target?: string;
  detail?: string;
  /** A network fault's values, which the timeline replays to know the faults in force. */
  fault?: NetworkFault;
}

export function encodeAction(action: Action): string {
  return JSON.stringify(action);
}

export function parseAction(text: string): Action | undefined {
  try {
    const value = JSON.parse(text) as Partial<Action>;
    if (typeof value.ts !== "string" || typeof value.action !== "string") return undefined;
    if (value.fault !== undefined && !networkFaultSchema.safeParse(value.fault).success) return undefined;
    return value as Action;
  } catch {
    return undefined;
  }
}

export function describeAction(action: Action): string {
  if (action.fault) return `lab ${action.action}: ${describeNetworkFault(action.fault)}`;
  return `lab ${action.action}${action.target ? ` ${action.target}` : ""}${action.detail ? `: ${action.detail}` : ""}`;
}

/**
 * The journal container's state: "running" keeps every action; "stopped" kept what was written
 * before it stopped; "missing" (removed) lost them all.
 */
export const JOURNAL_STATES = ["running", "stopped", "missing"] as const;
export type JournalState = (typeof JOURNAL_STATES)[number];

/** The journal's actions and those this process recorded itself (kept even when the journal is gone), each once, by time. */
export function mergeActions(journalled: Action[], own: Action[]): Action[] {
  const known = new Set(journalled.map(encodeAction));
  return [...journalled, ...own.filter((action) => !known.has(encodeAction(action)))]
    .map((action, index) => ({ action, index }))
    .sort((a, b) => a.action.ts.localeCompare(b.action.ts) || a.index - b.index)
    .map(({ action }) => action);
}

/** What a journal that is not running means for the record, in one sentence; undefined when it runs. */
export function journalProblem(state: JournalState): string | undefined {
  switch (state) {
    case "running":
      return undefined;
    case "stopped":
      return "the lab's journal container has stopped: lab's actions since then are not in it; the engine's record of each container's changes stands in for them";
    case "missing":
      return "the lab's journal container is missing (removed): every action it recorded is lost; the engine's record of each container's changes stands in for them";
  }
}
