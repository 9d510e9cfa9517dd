/**
 * Every exit code of `lab` (README "Command reference", docs/architecture.md "Exit codes").
 * `internal` is EX_SOFTWARE from sysexits.h: anything but a LabError is a bug in p2plab, and CI
 * must tell that crash from a red run (1).
 */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  input: 2,
  environment: 3,
  internal: 70,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

/**
 * Errors the CLI turns into one clear message and an exit code; anything else is a bug
 * and is reported as one. Only cli/main.ts prints them and exits.
 */
export class LabError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** How to fix it, printed under the message. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Exit 1: the lab ran, and something it checked did not hold. */
export class CheckFailedError extends LabError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.checkFailed, hint);
  }
}

/** Exit 2: a bad topology file, an unknown peer, a wrong flag. */
export class InputError extends LabError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.input, hint);
  }
}

/** Exit 3: the environment, not the input: no engine, no image, no permission. */
export class EnvironmentError extends LabError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.environment, hint);
  }
}
