import { inBatches, sleep } from "../concurrency.js";
import { EnvironmentError } from "../errors.js";
import { LABEL } from "../plan/labels.js";
import type { Runtime } from "../runtime/runtime.js";
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
  // Many removals at once can leave the engine with stale network endpoints (moby#42119).
  await inBatches(containers, REMOVE_CONCURRENCY, (container) => runtime.remove(container.id));
  const networks = await runtime.listNetworks({ [LABEL.lab]: name });
  for (const network of networks) await removeNetwork(runtime, network.id, network.name);
  return { lab: name, ...saved, refused, removedContainers: containers.length, removedNetworks: networks.length };
}

const REMOVE_CONCURRENCY = 4;
const NETWORK_ATTEMPTS = 10;

/** The engine may take a moment to release a removed container's endpoint: retry before giving up. */
async function removeNetwork(runtime: Runtime, id: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runtime.removeNetwork(id);
      return;
    } catch (error) {
      if (!/active endpoints/.test((error as Error).message)) throw error;
      if (attempt === NETWORK_ATTEMPTS) {
        throw new EnvironmentError(
          `the engine still reports endpoints on network ${name} after its containers were removed`,
          `a known engine bug (moby#42119): restart the Docker engine, then run lab down again`,
        );
      }
      await sleep(300 * attempt);
    }
  }
}
