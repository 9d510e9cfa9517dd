/**
 * Whether a lab's engines form one swarm, from what each says of itself (GET /info's Swarm), and
 * if not, the docker commands that make them one. Pure: the engines are asked by the runtime.
 */

/** The swarm as one engine sees it. */
export interface SwarmState {
  /** LocalNodeState: inactive, pending, active, error or locked. */
  state: string;
  nodeId: string;
  /** The swarm's id; empty when the engine is in none. */
  clusterId: string;
  /** It can create swarm networks (ControlAvailable). */
  manager: boolean;
  /** The address its swarm traffic uses (NodeAddr); empty when in no swarm. */
  nodeAddr: string;
  /** A manager's worker join token, when this engine is a manager that gave it. */
  workerToken?: string;
}

export interface EngineSwarm {
  name: string;
  /** Its context's endpoint (unix://, tcp://, ssh://): where an init would advertise, when it names a host. */
  endpoint: string;
  state: SwarmState;
}

/** The swarm's manager port: where workers join. */
export const SWARM_PORT = 2377;

/** Undefined when the engines are distinct members of one swarm with a manager among them; else what is wrong and the fix. */
export function swarmProblem(engines: EngineSwarm[]): { message: string; fix: string } | undefined {
  const same = sameEngine(engines);
  if (same) {
    return {
      message: `engines ${same[0]} and ${same[1]} are the same engine (swarm node ${same[2]}): a lab spreads over distinct engines`,
      fix: "name each engine once in --engines (see docker context ls)",
    };
  }
  const manager = engines.find((engine) => engine.state.state === "active" && engine.state.manager);
  const outside = engines.filter(
    (engine) => engine.state.state !== "active" || engine.state.clusterId !== manager?.state.clusterId,
  );
  if (manager && outside.length === 0) return undefined;
  const lines: string[] = [];
  let managerAddress: string;
  let token: string;
  if (manager) {
    managerAddress = manager.state.nodeAddr || hostOf(manager.endpoint) || "MANAGER-ADDRESS";
    token = manager.state.workerToken ?? `$(docker --context ${manager.name} swarm join-token -q worker)`;
  } else {
    const first = engines[0]!;
    const address = hostOf(first.endpoint) ?? "ADDRESS";
    if (first.state.state !== "inactive") lines.push(`docker --context ${first.name} swarm leave --force`);
    lines.push(`docker --context ${first.name} swarm init --advertise-addr ${address}`);
    managerAddress = address;
    token = `$(docker --context ${first.name} swarm join-token -q worker)`;
  }
  for (const engine of engines) {
    if (engine === manager || (!manager && engine === engines[0])) continue;
    if (manager && engine.state.state === "active" && engine.state.clusterId === manager.state.clusterId) continue;
    if (engine.state.state !== "inactive") lines.push(`docker --context ${engine.name} swarm leave --force`);
    lines.push(`docker --context ${engine.name} swarm join --token ${token} ${managerAddress}:${SWARM_PORT}`);
  }
  const described = engines
    .map(({ name, state }) =>
      state.state === "active"
        ? `${name}: ${state.manager ? "manager" : "worker"} of swarm ${state.clusterId.slice(0, 12)}`
        : `${name}: ${state.state}`,
    )
    .join("; ");
  const noManager = !manager && engines.every((engine) => engine.state.state === "active");
  return {
    message: noManager
      ? `none of the engines is a swarm manager (${described}): the lab's overlay network is made on a manager`
      : `the engines are not in one swarm (${described})`,
    fix: `join them (docs/multi-host.md), each line run where that context works${
      manager ? "" : "; ADDRESS: the first engine's address the others reach"
    }:\n    ${lines.join("\n    ")}`,
  };
}

/** Two engines that are one node: two contexts for one daemon. */
function sameEngine(engines: EngineSwarm[]): [string, string, string] | undefined {
  const seen = new Map<string, string>();
  for (const { name, state } of engines) {
    if (!state.nodeId) continue;
    const other = seen.get(state.nodeId);
    if (other) return [other, name, state.nodeId.slice(0, 12)];
    seen.set(state.nodeId, name);
  }
  return undefined;
}

/** The host a tcp:// or ssh:// endpoint names; undefined for a local socket. */
function hostOf(endpoint: string): string | undefined {
  try {
    const url = new URL(endpoint);
    return url.protocol === "tcp:" || url.protocol === "ssh:" || url.protocol.startsWith("http")
      ? url.hostname
      : undefined;
  } catch {
    return undefined;
  }
}
