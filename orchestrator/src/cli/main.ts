import { EXIT } from "../errors.js";
import { createContext, type Context } from "./context.js";
import { failureOf, wantsJson, type StopSignal } from "./failure.js";
import { Output } from "./output.js";
import { buildProgram } from "./program.js";

/**
 * The one place that prints errors and exits: 0 ok, 1 a check failed, 2 bad input, 3 environment,
 * 70 a bug in p2plab, 130 Ctrl-C (SIGINT), 143 SIGTERM (errors.ts's EXIT). Under --json an error
 * is one JSON object on stdout, like any result.
 */
async function main(): Promise<number> {
  // A reader that goes away (`lab run … | head`) must not abort a run half-way: the lab
  // would be left behind. Output to a closed pipe is dropped instead.
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  const out = new Output();
  const interrupt = new AbortController();
  let stoppedBy: StopSignal | undefined;
  // SIGTERM (a cancelled CI job, `timeout`, `docker compose stop`) stops a command as Ctrl-C does:
  // transcripts saved, the lab of an unfinished run removed; only the exit code differs.
  const stop = (signal: StopSignal): void => {
    if (interrupt.signal.aborted) process.exit(EXIT[stoppedBy ?? signal]);
    stoppedBy = signal;
    const again = signal === "SIGINT" ? "Ctrl-C again" : "a second signal";
    process.stderr.write(`\nlab: stopping on ${signal} (${again} to quit at once, leaving things as they are)\n`);
    interrupt.abort();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  let context: Context | undefined;
  const program: ReturnType<typeof buildProgram> = buildProgram(
    () => (context ??= createContext(out, interrupt.signal, (program.opts() as { engines?: string }).engines)),
  );
  const json = wantsJson(program.commands, process.argv.slice(2));
  // Under --json a usage error is said once, as JSON, below.
  if (json) for (const command of [program, ...program.commands]) command.configureOutput({ writeErr: () => {} });
  try {
    await program.parseAsync(process.argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    const failure = failureOf(error, stoppedBy, json);
    if (failure.said) out.failed({ ...failure.said, exit: failure.exit }, json);
    if (failure.stack && process.env.P2PLAB_DEBUG) process.stderr.write(`${failure.stack}\n`);
    return failure.exit;
  }
}

/**
 * Resolves once everything written to the stream has been handed to its reader, or the reader is
 * gone. A pipe holds 64 KiB: what a slow reader has not taken yet waits in this process, and
 * exiting before then would cut the output.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableLength === 0) return resolve();
    stream.once("close", resolve);
    // Writes complete in order: this one's callback runs once every earlier one is out.
    stream.write("", () => resolve());
  });
}

void main().then(async (code) => {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});
