import { LABEL } from "../plan/labels.js";
import type { Runtime } from "../runtime/runtime.js";
import { Lab } from "./lab.js";
import { saveResults } from "./results.js";

export interface DownResult {
  lab: string;
  /** Where the transcripts went; undefined when there was nothing to save. */
  savedTo?: string;
  removedContainers: number;
  removedNetworks: number;
}

/**
 * Saves the transcripts, then removes every container and network carrying the lab's label.
 * Idempotent, and works on a half-created lab (an interrupted `up`): it goes by labels only.
 */
export async function down(runtime: Runtime, name: string, options: { save: boolean; resultsDir: string }): Promise<DownResult> {
  let savedTo: string | undefined;
  if (options.save) {
    const lab = await Lab.find(runtime, name).catch(() => undefined);
    if (lab) savedTo = await saveResults(lab, options.resultsDir);
  }
  const containers = await runtime.listContainers({ [LABEL.lab]: name });
  await Promise.all(containers.map((container) => runtime.remove(container.id)));
  const networks = await runtime.listNetworks({ [LABEL.lab]: name });
  for (const network of networks) await runtime.removeNetwork(network.id);
  return { lab: name, ...(savedTo ? { savedTo } : {}), removedContainers: containers.length, removedNetworks: networks.length };
}
