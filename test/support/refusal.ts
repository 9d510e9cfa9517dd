import type { LabError } from "../../orchestrator/src/errors.js";

/** What a refused lab call said, as plain data to compare: undefined when it was not refused. */
export function refusalOf(
  attempt: Promise<unknown>,
): Promise<{ type: string; message: string; hint: string | undefined; exitCode: number } | undefined> {
  return attempt.then(
    () => undefined,
    (error: LabError) => ({
      type: error.constructor.name,
      message: error.message,
      hint: error.hint,
      exitCode: error.exitCode,
    }),
  );
}
