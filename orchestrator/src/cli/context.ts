import { DURATION, durationProblem, parseDuration } from "../../../peer/src/duration.js";
import { InputError } from "../errors.js";
import type { Runtime } from "../runtime/runtime.js";
import { formatDiagnostic, type Diagnostic } from "../topology/diagnostic.js";
import { loadTopologyFile, type LoadOptions } from "../topology/load.js";
import type { Topology } from "../topology/schema.js";
import type { Output } from "./output.js";

/** What every command gets: output, the engine (checked on first use), Ctrl-C. */
export interface Context {
  out: Output;
  signal: AbortSignal;
  runtime(): Promise<Runtime>;
}

export function createContext(out: Output, signal: AbortSignal): Context {
  let runtime: Promise<Runtime> | undefined;
  return {
    out,
    signal,
    runtime: () =>
      (runtime ??= (async () => {
        // Loaded when a command first needs the engine: dockerode (and the gRPC and protobuf code it
        // brings) costs more CPU to load than the rest of lab together.
        const { DockerRuntime } = await import("../runtime/docker-runtime.js");
        const docker = new DockerRuntime();
        await docker.ping();
        return docker;
      })()),
  };
}

/** A topology that did not load: every diagnostic, each on its own line. */
export class TopologyError extends InputError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(
      `${diagnostics.length} ${diagnostics.length === 1 ? "problem" : "problems"} in the topology:\n${diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join("\n")}`,
    );
  }
}

export async function loadTopologyOrFail(path: string, out: Output, options: LoadOptions = {}): Promise<Topology> {
  const result = await loadTopologyFile(path, options);
  for (const warning of result.warnings) out.progress(`warning: ${formatDiagnostic(warning)}`);
  if (!result.ok) throw new TopologyError(result.errors);
  return result.topology;
}

/** A duration flag's value in ms; a bad one is the user's mistake, said with an example. */
export function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms !== undefined) return ms;
  const tooLong = DURATION.test(text) ? `: ${durationProblem(text)}` : "";
  throw new InputError(`${flag} "${text}" is not a duration${tooLong}`, `write it like 5s, 60s or 2m`);
}
