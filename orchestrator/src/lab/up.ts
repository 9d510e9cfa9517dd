import { formatDuration } from "../../../peer/src/duration.js";
import { inBatches } from "../concurrency.js";
import { CheckFailedError, EXIT, InputError, LabError } from "../errors.js";
import { planLab, type LabPlan } from "../plan/plan.js";
import { ImageNotFoundError, NameInUseError, type Runtime } from "../runtime/runtime.js";
import type { Topology } from "../topology/schema.js";
import { formatPeerLine, peerLineReader, type PeerLine } from "../transcript/transcript.js";
import { Nudge, waitFor, WaitTimeoutError } from "../wait.js";
import { down, type DownResult } from "./down.js";
import { followPeers } from "./follow.js";
import { Lab, type LabSnapshot } from "./lab.js";
import { checkResultsDir, describeSaved } from "./results.js";
import { Wiring } from "./wiring.js";

export interface UpOptions {
  recreate: boolean;
  /**
   * When up fails after claiming the lab: leave what it created for inspection (`lab up`), or
   * save the transcripts and remove it (`lab run`). Ctrl-C always removes it.
   */
  onFailure: "leave" | "remove";
  /** How long starting every peer and bringing up every configured link may take. */
  wireTimeoutMs: number;
  resultsDir: string;
  signal: AbortSignal;
  progress(message: string): void;
}

export interface UpResult {
  lab: Lab;
  snapshot: LabSnapshot;
  /** The lab this one replaced (--recreate), with where its transcripts went. */
  replaced?: DownResult;
  /** From the first container created to every link up. */
  wiredInMs: number;
}

/** Ctrl-C during `up`: what it created has been removed. */
export class InterruptedError extends LabError {
  constructor(lab: string) {
    super(`interrupted: lab ${lab} was not brought up, and what was created has been removed`, EXIT.SIGINT);
  }
}

/** Another process has the lab's name: its lab is running, or being started right now. */
export class LabBusyError extends InputError {
  constructor(lab: string, hint: string) {
    super(`lab "${lab}" is already running or being started`, hint);
  }
}

const START_CONCURRENCY = 8;
const RECENT_LINES = 6;

/**
 * Validated topology → a running, wired lab. The lab's name is claimed first, by creating its
 * journal container: container names are unique on an engine even when two creates race, so of
 * two `up` of one lab exactly one goes on, and only the one that claimed the name removes anything
 * when it fails (--recreate aside, which replaces a running lab on purpose).
 */
export async function up(runtime: Runtime, topology: Topology, options: UpOptions): Promise<UpResult> {
  const name = topology.name;
  let replaced: DownResult | undefined;
  if ((await Lab.names(runtime)).includes(name)) {
    if (!options.recreate)
      throw new LabBusyError(name, `remove it with lab down ${name}, or replace it with lab up --recreate`);
    await checkResultsDir(options.resultsDir);
    options.progress(`replacing the running lab ${name} (its transcripts are saved first)`);
    replaced = await down(runtime, name, { save: true, resultsDir: options.resultsDir });
  }
  const image = await runtime.ensurePeerImage(options.progress);
  await buildImages(runtime, topology, options.progress);
  const plan = planLab(topology, image);
  options.signal.throwIfAborted();
  const started = Date.now();
  const journal = await claim(runtime, plan);
  try {
    const ids = await create(runtime, plan, journal, options);
    await waitForWiring(runtime, topology, plan, ids, options, started + options.wireTimeoutMs);
  } catch (error) {
    if (options.signal.aborted) {
      await down(runtime, name, { save: false, resultsDir: options.resultsDir });
      throw new InterruptedError(name);
    }
    if (options.onFailure === "remove") {
      const removed = await down(runtime, name, { save: true, resultsDir: options.resultsDir });
      if (removed.savedTo) options.progress(describeSaved("transcripts", removed.savedTo, removed.fallbackReason));
    }
    throw error;
  }
  const wiredInMs = Date.now() - started;
  const lab = await Lab.find(runtime, name);
  await lab.record({
    ts: new Date(started).toISOString(),
    action: "up",
    detail: `${topology.file} (${plan.peers.length} peers, wired in ${formatDuration(wiredInMs)})`,
  });
  return { lab, snapshot: await lab.snapshot(), wiredInMs, ...(replaced ? { replaced } : {}) };
}

/** Builds each image the topology's peers are built from (`build:`), once per recipe. */
async function buildImages(runtime: Runtime, topology: Topology, progress: (message: string) => void): Promise<void> {
  const builds = new Map(
    topology.peers.flatMap((peer) => (peer.build ? [[JSON.stringify(peer.build), peer.build]] : [])),
  );
  for (const build of builds.values()) await runtime.ensureBuiltImage(build, progress);
}

/** Creates the journal container, the lab's claim on its name; its id. */
async function claim(runtime: Runtime, plan: LabPlan): Promise<string> {
  try {
    return await runtime.createContainer(plan.journal);
  } catch (error) {
    if (error instanceof NameInUseError) {
      throw new LabBusyError(plan.lab, `wait for it to finish, or see lab ls; remove it with lab down ${plan.lab}`);
    }
    throw error;
  }
}

async function create(
  runtime: Runtime,
  plan: LabPlan,
  journal: string,
  options: UpOptions,
): Promise<Map<string, string>> {
  await runtime.start(journal);
  await runtime.createNetwork(plan.network.name, plan.network.labels);
  const ids = new Map<string, string>();
  let started = 0;
  await inBatches(plan.peers, START_CONCURRENCY, async (planned) => {
    const { peer } = planned;
    const container = planned.container(new Map());
    if (options.signal.aborted) return;
    try {
      const id = await runtime.createContainer(container);
      ids.set(peer, id);
      await runtime.start(id);
    } catch (error) {
      if (!(error instanceof LabError)) throw error;
      // The topology named an image the engine does not have: the input's to fix. (The reference
      // image, which the journal runs too, was built a moment ago: its absence is a race.)
      if (error instanceof ImageNotFoundError && container.image !== plan.journal.image) {
        throw new InputError(
          `peer ${peer}'s image ${container.image} is not on this engine`,
          `pull or build it, or drop image: from the topology to run the reference peer; remove what was created with lab down ${plan.lab}`,
        );
      }
      throw new LabError(
        `peer ${peer} did not start from image ${container.image}: ${error.message.replace(/^[^:]*: /, "")}`,
        error.exitCode,
        `the image must run a peer taking the reference peer's flags (peer/PROTOCOL.md); remove what was created with lab down ${plan.lab}`,
      );
    }
    started += 1;
    if (plan.peers.length > START_CONCURRENCY && (started % START_CONCURRENCY === 0 || started === plan.peers.length)) {
      options.progress(`started ${started}/${plan.peers.length} peers`);
    }
  });
  options.signal.throwIfAborted();
  return new Map(plan.peers.map(({ peer }) => [peer, ids.get(peer)!]));
}

async function waitForWiring(
  runtime: Runtime,
  topology: Topology,
  plan: LabPlan,
  ids: Map<string, string>,
  options: UpOptions,
  deadline: number,
): Promise<void> {
  const wiring = new Wiring(
    plan.peers.map(({ peer }) => peer),
    plan.links,
  );
  const recent = new Map<string, PeerLine[]>();
  const stop = new AbortController();
  const nudge = new Nudge();
  const following = followPeers(
    runtime,
    new Map([...ids].map(([peer, id]) => [peer, { id, reader: peerLineReader(topology, peer) }])),
    (line) => {
      const lines = recent.get(line.peer) ?? [];
      lines.push(line);
      if (lines.length > RECENT_LINES) lines.shift();
      recent.set(line.peer, lines);
      if (line.event) wiring.observe(line.event);
      if (wiring.complete) nudge.poke();
    },
    stop.signal,
  );
  try {
    options.progress(`waiting for ${plan.links.length} links`);
    await waitFor(
      async () => {
        if (wiring.complete) return true;
        const exited = await exitedPeers(runtime, ids);
        if (exited.length > 0 && !wiring.complete) {
          throw new CheckFailedError(
            `${exited.map(([peer, code]) => `${peer} exited (code ${code})`).join(", ")} before the lab was wired\n${recentLines(
              exited.map(([peer]) => peer),
              recent,
            )}`,
            `the lab is left for inspection: lab logs ${exited[0]![0]}; remove it with lab down ${plan.lab}`,
          );
        }
        return undefined;
      },
      // The peers' exits are polled every second; the last link up nudges at once.
      {
        what: `lab ${plan.lab} wired`,
        intervalMs: 1000,
        timeoutMs: deadline - Date.now(),
        signal: options.signal,
        nudge,
      },
    );
  } catch (error) {
    if (error instanceof WaitTimeoutError) throw notWired(plan, wiring, recent, options.wireTimeoutMs);
    throw error;
  } finally {
    stop.abort();
    await following;
  }
}

async function exitedPeers(runtime: Runtime, ids: Map<string, string>): Promise<Array<[string, number]>> {
  const infos = await Promise.all([...ids].map(async ([peer, id]) => [peer, await runtime.inspect(id)] as const));
  return infos
    .filter(([, info]) => info.state === "exited" || info.state === "dead")
    .map(([peer, info]) => [peer, info.exitCode]);
}

function notWired(plan: LabPlan, wiring: Wiring, recent: Map<string, PeerLine[]>, timeoutMs: number): CheckFailedError {
  const missing = wiring.missing();
  const quiet = wiring.notListening();
  const problems = [
    ...quiet.map((peer) => `  ${peer} never reported listening`),
    ...missing.map(({ link: [a, b], silent }) => `  ${a} ── ${b}: not reported up by ${silent.join(" and ")}`),
  ];
  const involved = [...new Set([...quiet, ...missing.flatMap(({ silent }) => silent)])];
  return new CheckFailedError(
    `lab ${plan.lab} not wired after ${formatDuration(timeoutMs)}:\n${problems.join("\n")}\n${recentLines(involved, recent)}`,
    `the lab is left for inspection (lab status ${plan.lab}, lab logs PEER); remove it with lab down ${plan.lab}`,
  );
}

function recentLines(peers: string[], recent: Map<string, PeerLine[]>): string {
  return peers
    .map((peer) => {
      const lines = recent.get(peer) ?? [];
      return `last lines of ${peer}:\n${lines.length ? lines.map((line) => `    ${formatPeerLine(line)}`).join("\n") : "    (nothing printed)"}`;
    })
    .join("\n");
}
