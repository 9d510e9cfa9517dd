import { CommanderError } from "@commander-js/extra-typings";
import { EXIT, LabError } from "../errors.js";

export type StopSignal = "SIGINT" | "SIGTERM";

/** How a command that threw ends: its exit code, and what is said about it (nothing when it has been said). */
export interface Failure {
  exit: number;
  said?: { error: string; fix?: string };
  /** A bug's stack, shown with P2PLAB_DEBUG. */
  stack?: string;
}

/**
 * Pure: the exit code and message for whatever a command threw. A LabError says its own; a
 * signal that stopped the command sets the code; anything else is a bug in p2plab (exit 70).
 * `json`: commander's usage errors are said here too (commander prints them itself otherwise).
 */
export function failureOf(error: unknown, stoppedBy: StopSignal | undefined, json: boolean): Failure {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return { exit: EXIT.ok };
    const said = { error: error.message.replace(/^error: /, ""), fix: "run lab --help for the commands" };
    return { exit: EXIT.input, ...(json ? { said } : {}) };
  }
  if (error instanceof LabError) {
    return {
      exit: stoppedBy ? EXIT[stoppedBy] : error.exitCode,
      said: { error: error.message, ...(error.hint ? { fix: error.hint } : {}) },
    };
  }
  // A signal ends waits by rejecting with its reason: not a bug, and stderr has said why already.
  if (stoppedBy) return { exit: EXIT[stoppedBy], ...(json ? { said: { error: `stopped by ${stoppedBy}` } } : {}) };
  const bug = error instanceof Error ? error : new Error(String(error));
  return {
    exit: EXIT.internal,
    said: {
      error: `internal error, a bug in p2plab: ${bug.message}`,
      fix: "please report it with the command you ran",
    },
    ...(bug.stack ? { stack: bug.stack } : {}),
  };
}

/** Whether the command line asks for --json, of a command that has it (options end at `--`). */
export function wantsJson(
  commands: ReadonlyArray<{ name(): string; options: ReadonlyArray<{ long?: string | undefined }> }>,
  args: string[],
): boolean {
  const end = args.indexOf("--");
  const options = end === -1 ? args : args.slice(0, end);
  const command = commands.find((candidate) => candidate.name() === options[0]);
  return options.includes("--json") && command?.options.some((option) => option.long === "--json") === true;
}
