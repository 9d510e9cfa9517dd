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
}

export function encodeAction(action: Action): string {
  return JSON.stringify(action);
}

export function parseAction(text: string): Action | undefined {
  try {
    const value = JSON.parse(text) as Partial<Action>;
    if (typeof value.ts !== "string" || typeof value.action !== "string") return undefined;
    return value as Action;
  } catch {
    return undefined;
  }
}

export function describeAction(action: Action): string {
  return `lab ${action.action}${action.target ? ` ${action.target}` : ""}${action.detail ? `: ${action.detail}` : ""}`;
}
