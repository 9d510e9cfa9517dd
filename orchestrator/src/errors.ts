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
    super(message, 1, hint);
  }
}

/** Exit 2: a bad topology file, an unknown peer, a wrong flag. */
export class InputError extends LabError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
}

/** Exit 3: the environment, not the input: no engine, no image, no permission. */
export class EnvironmentError extends LabError {
  constructor(message: string, hint?: string) {
    super(message, 3, hint);
  }
}
