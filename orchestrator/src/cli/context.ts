import { DURATION, durationProblem, parseDuration } from "../../../peer/src/duration.js";
import { InputError } from "../errors.js";
import { LABEL } from "../plan/labels.js";
import { chooseEngines, DEFAULT_ENGINE, resolveEngine } from "../runtime/engines.js";
import type { Runtime } from "../runtime/runtime.js";
import { absentEngine, SpreadRuntime } from "../runtime/spread-runtime.js";
import { formatDiagnostic, type Diagnostic } from "../topology/diagnostic.js";
import { loadTopologyFile, type LoadOptions } from "../topology/load.js";
import type { Topology } from "../topology/schema.js";
import type { Output } from "./output.js";

/** What every command gets: output, the engine (checked on first use), Ctrl-C. */
export interface Context {
  out: Output;
  signal: AbortSignal;
  /** The engines --engines or P2PLAB_ENGINES name (Docker contexts); undefined when neither does. */
  engines: string[] | undefined;
  /**
   * The runtime over these engines: one engine, a DockerRuntime; several, a SpreadRuntime. Without
   * a list, those --engines or P2PLAB_ENGINES name, else the default engine, and with it every
   * engine a lab on it was spread over (its network's labels say which).
   */
  runtime(engines?: readonly string[]): Promise<Runtime>;
}

export function createContext(out: Output, signal: AbortSignal, enginesFlag?: string): Context {
  const runtimes = new Map<string, Promise<Runtime>>();
  const engines = chooseEngines(enginesFlag, process.env);
  return {
    out,
    signal,
    engines,
    runtime: (named) => {
      const key = named?.join(",") ?? "";
      let runtime = runtimes.get(key);
      if (!runtime) runtimes.set(key, (runtime = engineRuntime(named ?? engines)));
      return runtime;
    },
  };
}

/**
 * Loaded when a command first needs the engine: dockerode (and the gRPC and protobuf code it
 * brings) costs more CPU to load than the rest of lab together.
 */
async function engineRuntime(named: readonly string[] | undefined): Promise<Runtime> {
  let names = named;
  const { DockerRuntime } = await import("../runtime/docker-runtime.js");
  const connect = async (name: string) => DockerRuntime.connect(await resolveEngine(name));
  if (names === undefined || names.length === 1) {
    const docker = await connect(names?.[0] ?? DEFAULT_ENGINE);
    await docker.ping();
    if (names !== undefined) return docker;
    const spread = await spreadLabEngines(docker);
    if (spread.length < 2) return docker;
    names = spread;
  }
  const discovered = named === undefined;
  const runtime = new SpreadRuntime(
    await Promise.all(
      names.map(async (name) => {
        const address = await resolveEngine(name).catch((error: unknown) => {
          // A context a lab's labels name that is gone from here: that engine is unreachable, the rest is not.
          if (discovered && error instanceof InputError) return error;
          throw error;
        });
        if (address instanceof InputError) return { name, endpoint: "?", engine: absentEngine(name, address.message) };
        return { name, endpoint: address.endpoint, engine: DockerRuntime.connect(address) };
      }),
    ),
  );
  await runtime.ping();
  return runtime;
}

/** The engines the labs on this engine were spread over, from their networks' labels, in order, each once. */
async function spreadLabEngines(runtime: Runtime): Promise<string[]> {
  const networks = await runtime.listNetworks({ [LABEL.engines]: "" });
  return [...new Set(networks.flatMap((network) => network.labels[LABEL.engines]!.split(",")).filter(Boolean))];
}

/** What the loader needs to place peers: the engines named on the command line, and --place. */
export function placementOptions(ctx: Context, place: string | undefined): LoadOptions {
  return { ...(ctx.engines ? { engines: ctx.engines } : {}), ...(place ? { place } : {}) };
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
