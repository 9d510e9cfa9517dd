import { memorySwarm, type MemorySwarmEngine } from "../../orchestrator/src/runtime/memory-swarm.js";
import { SpreadRuntime } from "../../orchestrator/src/runtime/spread-runtime.js";

/** The chain spread over two memory engines (placement spread: alice and carol on a, bob and dave on b). */
export const SPREAD_CHAIN = `name: spread
defaults: {heartbeat: 200ms, timeout: 800ms}
engines: [a, b]
peers:
  alice: {connect: [bob]}
  bob: {connect: [carol]}
  carol: {connect: [dave]}
  dave: {}
`;

const opened: MemorySwarmEngine[] = [];

/** Memory engines joined in one swarm, and the SpreadRuntime over them; `closeSwarms` (in afterEach) closes them. */
export function memorySpread(names = ["a", "b"]) {
  const made = memorySwarm(names);
  opened.push(...made.engines);
  return { ...made, runtime: new SpreadRuntime(made.members) };
}

export async function closeSwarms(): Promise<void> {
  await Promise.all(opened.splice(0).map((engine) => engine.close()));
}
