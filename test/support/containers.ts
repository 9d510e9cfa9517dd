import type { ContainerInfo } from "../../orchestrator/src/runtime/runtime.js";

/** A peer's container as the engine describes one that runs, for tests of one peer behind a fake runtime. */
export function runningContainer(peer: string, id = `${peer}-id`): ContainerInfo {
  return {
    id,
    name: `p2plab-test_${peer}`,
    labels: {},
    state: "running",
    exitCode: 0,
    createdAt: "",
    startedAt: "",
    finishedAt: "",
  };
}
