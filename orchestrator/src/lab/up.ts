import { formatDuration } from "../../../peer/src/duration.js";
import { inBatches } from "../concurrency.js";
import { CheckFailedError, EXIT, InputError, LabError } from "../errors.js";
import { planLab, type LabPlan, type PlannedPeer } from "../plan/plan.js";
import { formatClockOffset, type ClockOffset } from "../runtime/clock-offset.js";
import { ImageNotFoundError, NameInUseError, type ContainerSpec, type Runtime } from "../runtime/runtime.js";
import { SpreadRuntime } from "../runtime/spread-runtime.js";
import { linkKey } from "../topology/link-key.js";
import { reportsLinks } from "../topology/peer-program.js";
import type { Topology } from "../topology/schema.js";
import { formatPeerLine, peerLineReader, type PeerLine } from "../transcript/transcript.js";
import { Nudge, waitFor, WaitTimeoutError } from "../wait.js";
import { down, type DownResult } from "./down.js";
import { followPeers } from "./follow.js";
import { Lab, type LabSnapshot } from "./lab.js";
import { neighbourTableWarning } from "./neighbour-table.js";
import { observeLinks } from "./observe-links.js";
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
  /** The name a failed run's transcripts are saved under: the lab's unless said (see saveResults). */
  resultsName?: string;
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
  if (await Lab.exists(runtime, name)) {
    if (!options.recreate)
      throw new LabBusyError(name, `remove it with lab down ${name}, or replace it with lab up --recreate`);
    await checkResultsDir(options.resultsDir);
    options.progress(`replacing the running lab ${name} (its transcripts are saved first)`);
    replaced = await down(runtime, name, { save: true, resultsDir: options.resultsDir });
  }
  if (runtime instanceof SpreadRuntime)
    topology = { ...topology, clockOffsets: await prepareEngines(runtime, options.progress) };
  const image = await runtime.ensurePeerImage(options.progress);
  await buildImages(runtime, topology, options.progress);
  const plan = planLab(topology, image);
  const crowded = neighbourTableWarning(plan.links.length, await runtime.neighbourTableLimit());
  if (crowded) options.progress(crowded);
  options.signal.throwIfAborted();
  const started = Date.now();
  const journal = await claim(runtime, plan);
  try {
    await Promise.all([runtime.start(journal), runtime.createNetwork(plan.network.name, plan.network.labels)]);
    await new Starter(runtime, topology, plan, options).wire(started + options.wireTimeoutMs);
  } catch (error) {
    if (options.signal.aborted) {
      await down(runtime, name, { save: false, resultsDir: options.resultsDir });
      throw new InterruptedError(name);
    }
    if (options.onFailure === "remove") {
      const removed = await down(runtime, name, {
        save: true,
        resultsDir: options.resultsDir,
        ...(options.resultsName ? { resultsName: options.resultsName } : {}),
      });
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

/**
 * A lab on several engines: they must be one swarm (checked before anything is made), and each
 * engine's clock offset is measured, said, and kept on the lab's network for every later reader.
 */
async function prepareEngines(
  runtime: SpreadRuntime,
  progress: (message: string) => void,
): Promise<Record<string, ClockOffset>> {
  const manager = await runtime.checkSwarm();
  progress(`engines ${runtime.names.join(", ")}: one swarm; the lab's overlay network on ${manager}`);
  const offsets = await runtime.measureClockOffsets();
  progress(
    `clock offsets (engine − lab): ${Object.entries(offsets)
      .map(([engine, offset]) => `${engine} ${formatClockOffset(offset)}`)
      .join(", ")}`,
  );
  return offsets;
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

/**
 * Starts the peers and waits until the lab is wired. A peer starts as soon as every peer it waits
 * for (plan.ts, from start-order.ts) has printed its ready line, eight at a time: peers that
 * wait for nothing start at once, as the reference peers all do; a program that dials one whose
 * port is known only at run time is given the port its ready line announced. Each started peer's
 * output is followed through its reader: `listening` (a ready line) and link events feed the
 * wiring, and the last lines are kept for the errors.
 */
class Starter {
  private readonly wiring: Wiring;
  private readonly ports = new Map<string, number>();
  private readonly ids = new Map<string, string>();
  private readonly waiting: PlannedPeer[];
  private readonly recent = new Map<string, PeerLine[]>();
  private readonly streams: Array<Promise<void>> = [];
  private readonly stop = new AbortController();
  private readonly nudge = new Nudge();
  /** The peers whose log stream ended while lab was wiring: their container stopped (or the stream broke). */
  private readonly ended = new Set<string>();
  private started = 0;
  /** Found once every peer listens: the links of programs that report none are read from it. */
  private lab: Lab | undefined;
  private notObserved: Array<[string, string]> = [];

  constructor(
    private readonly runtime: Runtime,
    private readonly topology: Topology,
    private readonly plan: LabPlan,
    private readonly options: UpOptions,
  ) {
    this.waiting = [...plan.peers];
    this.wiring = new Wiring(
      plan.peers.map(({ peer }) => peer),
      plan.links,
      new Set(topology.peers.filter(reportsLinks).map((peer) => peer.name)),
    );
  }

  async wire(deadline: number): Promise<void> {
    this.options.progress(this.waitingFor());
    try {
      await waitFor(
        async () => {
          await this.startThoseReady();
          if (this.waiting.length === 0 && this.wiring.complete && (await this.observedLinksUp())) return true;
          await this.failOnExit();
          return undefined;
        },
        // A ready line (the next peers may start), the last link up and a peer's log ending nudge at once; the
        // second's interval only bounds how late the deadline is noticed.
        {
          what: `lab ${this.plan.lab} wired`,
          intervalMs: 1000,
          timeoutMs: deadline - Date.now(),
          signal: this.options.signal,
          nudge: this.nudge,
        },
      );
    } catch (error) {
      if (error instanceof WaitTimeoutError) throw this.notWired();
      throw error;
    } finally {
      this.stop.abort();
      await Promise.all(this.streams);
    }
  }

  /**
   * Whether the links no end of which reports are up, as their ends' TCP tables show (read once
   * every peer listens and every reported link is up, then at each check): a program that prints
   * its ready line dials its peers only after it.
   */
  private async observedLinksUp(): Promise<boolean> {
    const unseen = this.wiring.unseen();
    if (unseen.length === 0) return true;
    this.lab ??= await Lab.find(this.runtime, this.plan.lab);
    const { links } = await observeLinks(this.lab, [...new Set(unseen.flat())], { ports: this.ports });
    const seen = new Set(links.map(({ dialer, acceptor }) => linkKey(dialer, acceptor)));
    this.notObserved = unseen.filter(([a, b]) => !seen.has(linkKey(a, b)));
    return this.notObserved.length === 0;
  }

  /** "waiting for 3 links", and how the links of programs that report none are awaited. */
  private waitingFor(): string {
    const unseen = this.wiring.unseen().length;
    const awaited = this.plan.links.length - unseen;
    if (unseen === 0) return `waiting for ${awaited} links`;
    return (
      `waiting for ${this.plan.peers.length} peers to listen${awaited ? ` and ${awaited} links` : ""}, ` +
      `then ${unseen} links between programs that report none, in their TCP tables`
    );
  }

  private onLine(line: PeerLine): void {
    const lines = this.recent.get(line.peer) ?? [];
    lines.push(line);
    if (lines.length > RECENT_LINES) lines.shift();
    this.recent.set(line.peer, lines);
    if (!line.event) return;
    this.wiring.observe(line.event);
    if (line.event.ev === "listening") this.ports.set(line.peer, line.event.port);
    // A ready line may let waiting peers start; otherwise only the last link up is worth a check.
    if ((line.event.ev === "listening" && this.waiting.length > 0) || this.wiring.complete) this.nudge.poke();
  }

  private async startThoseReady(): Promise<void> {
    const listening = new Set(this.plan.peers.map(({ peer }) => peer).filter((peer) => this.ports.has(peer)));
    const ready = this.waiting.filter(({ waitsFor }) => waitsFor.every((peer) => listening.has(peer)));
    if (ready.length === 0) return;
    this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((peer) => !ready.includes(peer)));
    await inBatches(ready, START_CONCURRENCY, (peer) => this.start(peer));
    this.options.signal.throwIfAborted();
  }

  private async start(planned: PlannedPeer): Promise<void> {
    const { peer, waitsFor } = planned;
    if (this.options.signal.aborted) return;
    if (waitsFor.length > 0) {
      const listening = waitsFor.map((target) => `${target} on port ${this.ports.get(target)}`).join(", ");
      this.options.progress(`starting ${peer}, which waited for ${listening}`);
    }
    const container = planned.container(this.ports);
    try {
      const id = await this.runtime.createContainer(container);
      this.ids.set(peer, id);
      await this.runtime.start(id);
      this.streams.push(
        followPeers(
          this.runtime,
          new Map([[peer, { id, reader: peerLineReader(this.topology, peer) }]]),
          (line) => this.onLine(line),
          this.stop.signal,
        ).then(() => {
          // A follow ends when its container stops: the engine need not be asked about every peer each second.
          if (this.stop.signal.aborted) return;
          this.ended.add(peer);
          this.nudge.poke();
        }),
      );
    } catch (error) {
      throw this.notStarted(peer, container, error);
    }
    this.started += 1;
    const total = this.plan.peers.length;
    if (total > START_CONCURRENCY && (this.started % START_CONCURRENCY === 0 || this.started === total)) {
      this.options.progress(`started ${this.started}/${total} peers`);
    }
  }

  private notStarted(peer: string, container: ContainerSpec, error: unknown): unknown {
    if (!(error instanceof LabError)) return error;
    const lab = this.plan.lab;
    // The topology named an image the engine does not have: the input's to fix. (The reference
    // image, which the journal runs too, was built a moment ago: its absence is a race.)
    if (error instanceof ImageNotFoundError && container.image !== this.plan.journal.image) {
      return new InputError(
        `peer ${peer}'s image ${container.image} is not on this engine`,
        `pull or build it, or drop image: from the topology to run the reference peer; remove what was created with lab down ${lab}`,
      );
    }
    const spec = this.topology.peers.find((candidate) => candidate.name === peer)!;
    return new LabError(
      `peer ${peer} did not start from image ${container.image}: ${error.message.replace(/^[^:]*: /, "")}`,
      error.exitCode,
      `${spec.command ? "the image's entrypoint must run its program with the command's arguments" : "the image must run a peer taking the reference peer's flags (peer/PROTOCOL.md)"}; remove what was created with lab down ${lab}`,
    );
  }

  /**
   * A started peer whose process ended: exit 1 with its code and what it printed last, read from
   * its whole log. Only the peers whose log stream ended are asked about.
   */
  private async failOnExit(): Promise<void> {
    const infos = await Promise.all(
      [...this.ended].map(async (peer) => {
        const id = this.ids.get(peer)!;
        return [peer, id, await this.runtime.inspect(id)] as const;
      }),
    );
    const exited = infos.filter(([, , info]) => info.state === "exited" || info.state === "dead");
    if (exited.length === 0) return;
    // Its stream may not have delivered its last lines yet: they are read from its log.
    const last = await Promise.all(exited.map(([peer, id]) => this.lastLines(peer, id)));
    throw new CheckFailedError(
      `${exited.map(([peer, , info]) => `${peer} exited (code ${info.exitCode})`).join(", ")} before the lab was wired\n${last.join("\n")}`,
      `the lab is left for inspection: lab logs ${exited[0]![0]}; remove it with lab down ${this.plan.lab}`,
    );
  }

  private async lastLines(peer: string, id: string): Promise<string> {
    const reader = peerLineReader(this.topology, peer);
    const lines: PeerLine[] = [];
    for await (const line of this.runtime.logs(id, { follow: false })) {
      lines.push(reader.read(line));
      if (lines.length > RECENT_LINES) lines.shift();
    }
    return describeLines(peer, lines);
  }

  private notWired(): CheckFailedError {
    const missing = this.wiring.missing();
    const notStarted = this.waiting.map(({ peer }) => peer);
    const quiet = this.wiring.notListening().filter((peer) => !notStarted.includes(peer));
    const problems = [
      ...quiet.map((peer) => `  ${peer} ${this.neverReady(peer)}`),
      ...this.waiting.map(
        ({ peer, waitsFor }) =>
          `  ${peer} not started: it waits for ${waitsFor.filter((target) => !this.ports.has(target)).join(" and ")} to listen`,
      ),
      ...missing
        .filter(({ link }) => !link.some((end) => notStarted.includes(end)))
        .map(({ link: [a, b], silent }) => `  ${a} ── ${b}: not reported up by ${silent.join(" and ")}`),
      ...this.notObserved.map(([a, b]) => `  ${a} ── ${b}: not in their TCP tables`),
    ];
    const involved = [...new Set([...quiet, ...missing.flatMap(({ silent }) => silent)])].filter(
      (peer) => !notStarted.includes(peer),
    );
    const lab = this.plan.lab;
    return new CheckFailedError(
      `lab ${lab} not wired after ${formatDuration(this.options.wireTimeoutMs)}:\n${problems.join("\n")}\n${involved
        .map((peer) => describeLines(peer, this.recent.get(peer) ?? []))
        .join("\n")}`,
      `the lab is left for inspection (lab status ${lab}, lab logs PEER); remove it with lab down ${lab}`,
    );
  }

  /** Why a started peer is not listening, in its interface's words. */
  private neverReady(peer: string): string {
    const spec = this.topology.peers.find((candidate) => candidate.name === peer)!;
    if (spec.interface.events === "json") return "never reported listening";
    return spec.interface.ready === undefined
      ? "printed nothing (its first line is its ready line)"
      : `never printed its ready line (/${spec.interface.ready}/)`;
  }
}

function describeLines(peer: string, lines: PeerLine[]): string {
  return `last lines of ${peer}:\n${lines.length ? lines.map((line) => `    ${formatPeerLine(line)}`).join("\n") : "    (nothing printed)"}`;
}
