/**
 * In which order `lab up` starts the peers, when some of them choose their port at run time.
 *
 * A peer "is ready" when it has printed its ready line (a reference peer: its `listening`
 * event). A peer starts once every peer it must wait for is ready; peers that wait for nothing,
 * or for the same peers, start in parallel. A peer waits for a peer it dials when:
 * - the dialled peer's port is known only at run time (captured from its ready line): the
 *   dialler's command cannot be written before. Always; a cycle of these can never start, and is
 *   a validation problem;
 * - or the dialler does not retry a dial that fails, as programs in the assignment's style do
 *   not: a fixed `{port}` is known in advance, but the dial only succeeds once the other end
 *   listens. Where such waits would form a cycle (a ring of programs each dialling the next), one
 *   dial of the cycle cannot be waited for: it is listed in `unordered`, so `lab validate` can say
 *   that its dialler must retry.
 * A dialler that retries (the reference peer does, peer/PROTOCOL.md) waits for no fixed-port peer:
 * everything starts at once, as before.
 */
export interface StartPeer {
  name: string;
  /** The peers it dials, in its `connect` order. */
  connect: readonly string[];
  /** Its port is captured from its ready line: known only once it runs. */
  portAtRuntime: boolean;
  /** It retries a dial that fails until the other end listens. */
  retriesDials: boolean;
}

export interface StartOrder {
  /** Start groups, in order: every peer a peer waits for is in an earlier group. */
  waves: string[][];
  /** For each peer, the peers whose ready line it waits for, in its `connect` order. Start it as soon as they are all ready. */
  waitsFor: Record<string, string[]>;
  /** Dials, as [dialler, dialled], to a fixed-port peer that may not listen yet: they close a cycle of waits. */
  unordered: Array<[string, string]>;
}

/** A cycle of runtime ports, placed at the dial that starts it (`path` from the topology's root). */
export interface StartOrderProblem {
  path: ["peers", string, "connect", number];
  cycle: string[];
  message: string;
  hint: string;
}

export type StartPlan = { ok: true; order: StartOrder } | { ok: false; problems: StartOrderProblem[] };

/**
 * The start order, or every cycle of runtime ports (one problem per group of peers caught in
 * one). Targets that are no peer are left to the topology's own check.
 */
export function planStartOrder(peers: readonly StartPeer[]): StartPlan {
  const byName = new Map(peers.map((peer) => [peer.name, peer]));
  const targets = (peer: StartPeer): StartPeer[] => peer.connect.flatMap((name) => byName.get(name) ?? []);
  const needsPort = new Map(
    peers.map((peer) => [
      peer.name,
      unique(
        targets(peer)
          .filter((target) => target.portAtRuntime)
          .map((target) => target.name),
      ),
    ]),
  );
  const problems = runtimePortCycles(peers, needsPort);
  if (problems.length > 0) return { ok: false, problems };

  const waits = new Map(peers.map((peer) => [peer.name, new Set(needsPort.get(peer.name))]));
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (name === to) return true;
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push(...waits.get(name)!);
    }
    return false;
  };
  const unordered: Array<[string, string]> = [];
  for (const peer of peers) {
    if (peer.retriesDials) continue;
    for (const target of targets(peer)) {
      if (target.portAtRuntime || waits.get(peer.name)!.has(target.name)) continue;
      if (reaches(target.name, peer.name)) unordered.push([peer.name, target.name]);
      else waits.get(peer.name)!.add(target.name);
    }
  }

  const waitsFor = Object.fromEntries(
    peers.map((peer) => [
      peer.name,
      peer.connect.filter((name, i) => waits.get(peer.name)!.has(name) && peer.connect.indexOf(name) === i),
    ]),
  );
  const level = new Map<string, number>();
  const levelOf = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    const value = Math.max(-1, ...[...waits.get(name)!].map(levelOf)) + 1;
    level.set(name, value);
    return value;
  };
  const waves: string[][] = [];
  for (const peer of peers) (waves[levelOf(peer.name)] ??= []).push(peer.name);
  return { ok: true, order: { waves, waitsFor, unordered } };
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

/** One problem per strongly connected group of runtime-port dependencies, naming its shortest cycle through its first peer. */
function runtimePortCycles(peers: readonly StartPeer[], needsPort: Map<string, string[]>): StartOrderProblem[] {
  const order = new Map(peers.map((peer, index) => [peer.name, index]));
  const problems: StartOrderProblem[] = [];
  for (const group of stronglyConnected(
    peers.map((peer) => peer.name),
    needsPort,
  )) {
    const first = group.sort((a, b) => order.get(a)! - order.get(b)!)[0]!;
    if (group.length === 1 && !needsPort.get(first)!.includes(first)) continue;
    const cycle = shortestCycle(first, new Set(group), needsPort);
    const peer = peers[order.get(first)!]!;
    const each =
      cycle.length === 3
        ? "each needs the other's port"
        : cycle.length === 2
          ? "it needs its own port"
          : "each needs the next one's port";
    problems.push({
      path: ["peers", first, "connect", peer.connect.indexOf(cycle[1]!)],
      cycle,
      message: `${cycle.join(" → ")}: ${each}, known only once it runs`,
      hint: cycle.length === 2 ? `give ${first} a fixed {port}` : "give one of them a fixed {port}",
    });
  }
  return problems.sort((a, b) => order.get(a.cycle[0]!)! - order.get(b.cycle[0]!)!);
}

/** The shortest walk from `start` back to itself inside `group`, both ends included: [a, b, a]. */
function shortestCycle(start: string, group: ReadonlySet<string>, edges: Map<string, string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let at = 0; at < queue.length; at++) {
    const name = queue[at]!;
    for (const next of edges.get(name)!) {
      if (next === start) {
        const path = [start];
        for (let step = name; step !== start; step = previous.get(step)!) path.splice(1, 0, step);
        return [...path, start];
      }
      if (group.has(next) && !previous.has(next)) {
        previous.set(next, name);
        queue.push(next);
      }
    }
  }
  throw new Error(`${start} is in a cycle that was not found`);
}

/** Tarjan's strongly connected components. */
function stronglyConnected(names: string[], edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (name: string): void => {
    index.set(name, index.size);
    low.set(name, index.get(name)!);
    stack.push(name);
    onStack.add(name);
    for (const next of edges.get(name) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(name, Math.min(low.get(name)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(name, Math.min(low.get(name)!, index.get(next)!));
    }
    if (low.get(name) !== index.get(name)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== name);
    groups.push(group);
  };
  for (const name of names) if (!index.has(name)) visit(name);
  return groups;
}
