import type { PeerEventBody } from "./events.js";

/** The signals and process events the handler listens to: `process`, or a stand-in in tests. */
export interface ProcessEvents {
  on(event: "uncaughtException" | "unhandledRejection" | "SIGTERM", listener: (cause: unknown) => void): unknown;
}

export interface CrashHandlerOptions {
  /** The peer's own --connect targets. */
  targets: readonly string[];
  connect(target: string): void;
  emit(event: PeerEventBody): void;
  /** What SIGTERM does after the handler: the peer's ordinary exit. */
  terminate(): void;
}

/**
 * `--crash-handler`: the fix students often propose for "a peer crashed", built to be measured.
 * On an uncaught exception, an unhandled rejection or SIGTERM it prints a `crash-handler` event and
 * dials its own --connect targets again (an exception is then swallowed, as proposed). It cannot
 * help with the fault it is meant for: the peer that crashes is another process; a SIGKILLed or
 * powered-off one runs no handler at all, and the survivors never crash, so theirs never runs.
 * What repairs the network is noticing the silent or closed link and dialling someone else
 * (`--mode heal`).
 */
export function installCrashHandler(events: ProcessEvents, options: CrashHandlerOptions): void {
  const { targets, connect, emit } = options;
  const action = targets.length ? `dialling ${targets.join(", ")} again` : "no --connect targets to dial";
  const handle = (reason: string): void => {
    emit({ ev: "crash-handler", reason, action });
    for (const target of targets) connect(target);
  };
  events.on("uncaughtException", (cause) => handle(`uncaught exception: ${describe(cause)}`));
  events.on("unhandledRejection", (cause) => handle(`unhandled rejection: ${describe(cause)}`));
  events.on("SIGTERM", () => {
    handle("SIGTERM");
    options.terminate();
  });
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
