import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";

/**
 * Integration tests need a real Docker engine. Where CI asks for one (P2PLAB_REQUIRE_DOCKER=1,
 * set by .ci/run) its absence fails the run; elsewhere those tests skip and say why.
 */
export async function engineOrSkipReason(): Promise<string | undefined> {
  try {
    await new DockerRuntime().ping();
    return undefined;
  } catch (error) {
    const reason = `no Docker engine: ${(error as Error).message}`;
    if (process.env.P2PLAB_REQUIRE_DOCKER === "1") {
      throw new Error(`${reason} — P2PLAB_REQUIRE_DOCKER=1 requires one (start it with scripts/ensure-docker.sh)`);
    }
    console.warn(`skipping Docker tests: ${reason} (set P2PLAB_REQUIRE_DOCKER=1 to make this a failure)`);
    return reason;
  }
}

/** A lab name no other test or user shares. */
export function uniqueLabName(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
