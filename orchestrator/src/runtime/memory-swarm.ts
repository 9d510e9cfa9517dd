import { randomBytes } from "node:crypto";
import { EnvironmentError } from "../errors.js";
import { MemoryFabric, MemoryRuntime } from "./memory-runtime.js";
import type { Program } from "./memory-programs.js";
import type { Labels } from "./runtime.js";
import type { Member, SwarmEngine } from "./spread-runtime.js";
import type { SwarmState } from "./swarm.js";

/**
 * A memory engine that is a node of a swarm (spread-runtime.ts's SwarmEngine), for the unit tests
 * of labs on several engines: its swarm state, its clock and whether it answers are set by the
 * test; its containers reach those of the other nodes of its fabric by name.
 */
export class MemorySwarmEngine extends MemoryRuntime implements SwarmEngine {
  swarm: SwarmState;

  constructor(fabric: MemoryFabric, swarm: SwarmState, images: Record<string, Program> = {}) {
    super(images, {}, fabric);
    this.swarm = swarm;
  }

  async swarmState(): Promise<SwarmState> {
    return { ...this.swarm };
  }

  async createOverlayNetwork(name: string, labels: Labels): Promise<void> {
    if (!this.swarm.manager) throw new EnvironmentError(`create network ${name}: this node is not a swarm manager`);
    await this.createNetwork(name, labels);
    const network = [...this.networks.values()].find((candidate) => candidate.name === name)!;
    this.fabric!.overlays.set(network.id, network);
  }
}

/** Engines that refuse every call while `gone` holds: a machine switched off, as the lab sees it. */
export function goneWhen(engine: SwarmEngine, gone: () => boolean, endpoint: string): SwarmEngine {
  return new Proxy(engine, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (gone()) throw new EnvironmentError(`no Docker engine answers at ${endpoint} (ECONNREFUSED)`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** `count` memory engines in one swarm, the first its manager, named as the test says. */
export function memorySwarm(names: string[]): { members: Member[]; engines: MemorySwarmEngine[]; gone: Set<string> } {
  const fabric = new MemoryFabric();
  const clusterId = randomBytes(12).toString("hex");
  const gone = new Set<string>();
  const engines = names.map(
    (_, i) =>
      new MemorySwarmEngine(fabric, {
        state: "active",
        nodeId: randomBytes(12).toString("hex"),
        clusterId,
        manager: i === 0,
        nodeAddr: `192.168.77.${i + 1}`,
        ...(i === 0 ? { workerToken: "SWMTKN-1-memory" } : {}),
      }),
  );
  const members = names.map((name, i) => ({
    name,
    endpoint: `memory://${name}`,
    engine: goneWhen(engines[i]!, () => gone.has(name), `memory://${name}`),
  }));
  return { members, engines, gone };
}
