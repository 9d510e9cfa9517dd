import { inBatches, sleep } from "../concurrency.js";
import { EnvironmentError } from "../errors.js";
import { LABEL } from "../plan/labels.js";
import type { ContainerInfo, NetworkInfo, Runtime } from "../runtime/runtime.js";
import { SpreadRuntime } from "../runtime/spread-runtime.js";
import { Lab } from "./lab.js";
import { saveResults } from "./results.js";

export interface DownResult {
  lab: string;
  /** Where the transcripts went; undefined when there was nothing to save. */
  savedTo?: string;
  /** What was not trusted, and so not saved (it is removed with the rest): one sentence each. */
  refused: string[];
  /** Set when they could not go to the results directory: why (savedTo is then a temporary directory). */
  fallbackReason?: string;
  removedContainers: number;
  removedNetworks: number;
  /**
   * A lab on several engines: those that did not answer. What they hold is left, and so is the
   * lab's network (its labels keep the lab findable), for a later `down` to finish.
   */
  unreachable?: string[];
}

/**
 * The part of the runtime that answers now: a lab on several engines is removed from those that
 * answer, and the others are named. One engine: itself.
 */
export async function reachablePart(runtime: Runtime): Promise<{ runtime: Runtime; unreachable: string[] }> {
  return runtime instanceof SpreadRuntime ? runtime.reachable() : { runtime, unreachable: [] };
}

/**
 * Saves the transcripts, then removes every container and network carrying the lab's label.
 * Idempotent, and works on a half-created lab (an interrupted `up`): it goes by labels only.
 */
export async function down(
  runtime: Runtime,
  name: string,
  options: {
    save: boolean;
    resultsDir: string;
    /** The results directory's name before its time: the lab's unless said (see saveResults). */
    resultsName?: string;
  },
): Promise<DownResult> {
  const { runtime: reachable, unreachable } = await reachablePart(runtime);
  const result = await downReachable(reachable, name, options, unreachable.length > 0);
  return unreachable.length > 0 ? { ...result, unreachable } : result;
}

async function downReachable(
  runtime: Runtime,
  name: string,
  options: { save: boolean; resultsDir: string; resultsName?: string },
  keepNetwork: boolean,
): Promise<DownResult> {
  let saved: { savedTo?: string; fallbackReason?: string } = {};
  const refused: string[] = [];
  if (options.save) {
    const lab = await Lab.find(runtime, name).catch((error: Error) => {
      refused.push(`transcripts not saved: ${error.message}`);
      return undefined;
    });
    if (lab) {
      refused.push(...(await lab.containers()).refused.map((problem) => `not saved: ${problem}`));
      const { dir, fallbackReason } = await saveResults(
        options.resultsDir,
        options.resultsName ?? name,
        await lab.recording(),
      );
      saved = { savedTo: dir, ...(fallbackReason ? { fallbackReason } : {}) };
    }
  }
  const containers = await runtime.listContainers({ [LABEL.lab]: name });
  await inBatches(containers, REMOVE_CONCURRENCY, (container) => runtime.remove(container.id));
  const networks = keepNetwork ? [] : await runtime.listNetworks({ [LABEL.lab]: name });
  for (const network of networks) await removeNetwork(runtime, network, containers);
  return { lab: name, ...saved, refused, removedContainers: containers.length, removedNetworks: networks.length };
}

/**
 * Removals at once. Docker 20.10 counts a network's endpoints apart from the endpoints themselves,
 * and concurrent releases can lose a decrement: the network then lists no endpoint yet refuses
 * removal until the engine restarts, and no API call repairs the count. Seen once with 32 at once
 * (an interrupted 32-peer up), and about once in 31 large downs with 4; 32 bought only 0.83x at
 * 64 peers on this 2-core machine, where the engine's own work per container sets the pace.
 */
const REMOVE_CONCURRENCY = 4;
const NETWORK_ATTEMPTS = 8;

/**
 * Many removals at once now and then leave the engine holding the endpoint of a container it
 * removed (moby#42119), and the network refuses removal ("active endpoints") for as long as it
 * does. Such an endpoint is found by the name of a container `down` removed and disconnected by
 * force; anything else attached was not made by lab and is not touched. Retried within a bound:
 * the engine may also release an endpoint a moment after the removal returned.
 */
async function removeNetwork(runtime: Runtime, network: NetworkInfo, removed: ContainerInfo[]): Promise<void> {
  const removedNames = new Set(removed.map((container) => container.name));
  const removedIds = new Set(removed.map((container) => container.id));
  for (let attempt = 1; ; attempt++) {
    try {
      await runtime.removeNetwork(network.id);
      return;
    } catch (error) {
      if (!/active endpoints/.test((error as Error).message)) throw error;
    }
    const endpoints = await runtime.networkEndpoints(network.id);
    const stale = endpoints.filter((endpoint) => removedNames.has(endpoint.name) || removedIds.has(endpoint.id));
    const foreign = endpoints.filter((endpoint) => !stale.includes(endpoint));
    if (foreign.length > 0) {
      const names = foreign.map((endpoint) => endpoint.name || endpoint.id).join(", ");
      throw new EnvironmentError(
        `network ${network.name} still has containers attached that lab did not make: ${names}`,
        `disconnect them (docker network disconnect ${network.name} NAME), then run lab down again`,
      );
    }
    if (attempt === NETWORK_ATTEMPTS) {
      throw new EnvironmentError(
        `the engine still reports endpoints on network ${network.name} (${endpoints.map((endpoint) => endpoint.name || endpoint.id).join(", ") || "none listed"}) after its containers were removed and their endpoints disconnected by force`,
        `a known engine bug (moby#42119): restart the Docker engine, then run lab down again`,
      );
    }
    await Promise.all(stale.map((endpoint) => runtime.forceDisconnect(network.id, endpoint.name || endpoint.id)));
    await sleep(100 * (attempt - 1));
  }
}
