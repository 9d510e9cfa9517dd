import type { ContainerChange } from "../runtime/runtime.js";
import type { PeerStatus } from "./peer-status.js";

/**
 * A fault done to one peer's process, declared once: the CLI's command and help, the scenario
 * step, the refusal of a peer in the wrong state, the timeline's state after it, the engine's
 * record of it and the words of the output all read this.
 */
export interface ProcessFault {
  /** The states it acts from; a peer in any other is refused, with the command that fits. */
  from: readonly PeerStatus[];
  /** The peer's state in the timeline once lab has done it: a new process is "restarting" until it prints `listening`. */
  leaves: PeerStatus;
  /** The container changes the engine reports for it, a paused peer's unpause first included. */
  engineChanges: readonly ContainerChange[];
  /**
   * Whether the peer's links come back after it, and are waited for: a new process dials its own
   * --connect targets again; the same process (resumed) keeps what its neighbours kept.
   */
  linksBack?: "new process" | "same process";
  /** Takes --grace: SIGTERM, then SIGKILL after the grace period. */
  graceful: boolean;
  /** `lab <fault>`'s one line of help. */
  help: string;
  /** What was done, in words: "killed bob (SIGKILL)". */
  did(peer: string, graceSeconds: number): string;
}

export const PROCESS_FAULTS = {
  kill: {
    from: ["running", "paused", "restarting"],
    leaves: "killed",
    engineChanges: ["unpause", "die"],
    graceful: false,
    help: "SIGKILL a peer: it dies at once, its sockets are closed by the kernel",
    did: (peer) => `killed ${peer} (SIGKILL)`,
  },
  stop: {
    from: ["running", "paused", "restarting"],
    leaves: "exited",
    engineChanges: ["unpause", "die"],
    graceful: true,
    help: "SIGTERM a peer, then SIGKILL after --grace: a clean shutdown",
    did: (peer, graceSeconds) => `stopped ${peer} (SIGTERM, SIGKILL after ${graceSeconds} s)`,
  },
  pause: {
    from: ["running"],
    leaves: "paused",
    engineChanges: ["pause"],
    graceful: false,
    help: "freeze a peer (cgroup freezer): its links stay open but silent",
    did: (peer) => `paused ${peer} (frozen: its neighbours notice only when their heartbeat times out)`,
  },
  resume: {
    from: ["paused"],
    leaves: "running",
    engineChanges: ["unpause"],
    linksBack: "same process",
    graceful: false,
    help: "unfreeze a paused peer",
    did: (peer) => `resumed ${peer}`,
  },
  restart: {
    from: ["running", "paused", "exited", "killed", "created"],
    leaves: "restarting",
    engineChanges: ["unpause", "die", "start"],
    linksBack: "new process",
    graceful: true,
    help: "stop and start a peer: a new process with the same name and --connect targets",
    did: (peer) => `restarted ${peer} (a new process: it reconnects to its own --connect targets only)`,
  },
  start: {
    from: ["exited", "killed", "created"],
    leaves: "restarting",
    engineChanges: ["start"],
    linksBack: "new process",
    graceful: false,
    help: "start a stopped or killed peer again",
    did: (peer) => `started ${peer} (it reconnects to its own --connect targets only)`,
  },
} as const satisfies Record<string, ProcessFault>;

export type ProcessFaultName = keyof typeof PROCESS_FAULTS;
export const PROCESS_FAULT_NAMES = Object.keys(PROCESS_FAULTS) as ProcessFaultName[];

/** The faults after which a peer's links come back. */
export type ReturningFault = {
  [K in ProcessFaultName]: (typeof PROCESS_FAULTS)[K] extends { linksBack: string } ? K : never;
}[ProcessFaultName];

export function isProcessFault(name: string): name is ProcessFaultName {
  return Object.hasOwn(PROCESS_FAULTS, name);
}

export function isReturning(name: ProcessFaultName): name is ReturningFault {
  return "linksBack" in PROCESS_FAULTS[name];
}

/** Whether the fault acts on a peer in this state. */
export function actsOn(name: ProcessFaultName, status: PeerStatus): boolean {
  return (PROCESS_FAULTS[name].from as readonly PeerStatus[]).includes(status);
}

/** The command that fits a peer in this state, for a refusal's hint. */
export function commandFor(status: PeerStatus): string | undefined {
  return NEXT_COMMAND[status];
}

const NEXT_COMMAND: Partial<Record<PeerStatus, string>> = {
  paused: "lab resume",
  exited: "lab start",
  killed: "lab start",
  created: "lab start",
  running: "lab status",
};
