import { sleep } from "../concurrency.js";
import { EnvironmentError, LabError } from "../errors.js";
import type { Readable } from "node:stream";
import { correctionMs, measureClockOffset, onLabClock, type ClockOffset } from "./clock-offset.js";
import { mergeStreams } from "./merge-streams.js";
import { shipImage } from "./ship-image.js";
import { swarmProblem, type SwarmState } from "./swarm.js";
import type {
  AppliedRules,
  BuildContext,
  ContainerEvent,
  ContainerEventOptions,
  ContainerInfo,
  ContainerSpec,
  ContainerSummary,
  ImageBuildProgress,
  Labels,
  LogLine,
  LogOptions,
  NetworkEndpoint,
  NetworkInfo,
  NetworkRules,
  Runtime,
  Signal,
  TcpTables,
} from "./runtime.js";

/** What a lab on several engines needs of each engine beyond the Runtime: the swarm. */
export interface SwarmEngine extends Runtime {
  swarmState(): Promise<SwarmState>;
  /** An attachable overlay network (a manager only): plain containers on every node of the swarm can join it by name. */
  createOverlayNetwork(name: string, labels: Labels): Promise<void>;
}

/** One engine of the lab, by its Docker context's name. */
export interface Member {
  name: string;
  engine: SwarmEngine;
  /** Where it is, for messages: its context's endpoint. */
  endpoint: string;
}

/** An engine of the lab did not answer. */
export class EngineUnreachableError extends EnvironmentError {
  constructor(
    readonly engines: string[],
    cause: string,
  ) {
    super(
      `${engines.length === 1 ? "engine" : "engines"} ${engines.join(", ")} did not answer: ${cause}`,
      "check it with docker --context NAME info; lab down removes what the others hold and says what is left",
    );
  }
}

/**
 * An engine lab cannot even address (its context is gone from this machine): every call fails as
 * an engine that does not answer does, so `down` removes what the other engines hold.
 */
export function absentEngine(name: string, problem: string): SwarmEngine {
  return new Proxy({} as SwarmEngine, {
    // Not a thenable: only the engine's methods fail.
    get: (_target, property) =>
      property === "then"
        ? undefined
        : () => {
            throw new EngineUnreachableError([name], problem);
          },
  });
}

/**
 * A Runtime over several engines joined in one swarm: each container is created on the engine
 * its spec names and every call about it goes to that engine (an id's engine is remembered, or
 * found by asking each); lists and events are merged from every engine; the lab's network is an
 * attachable overlay made on a manager, which every node's containers join by name. Times the
 * engines give (log lines, container events) are put on this host's clock by each engine's
 * offset, so transcripts from several machines merge on one clock.
 */
export class SpreadRuntime implements Runtime {
  private readonly where = new Map<string, Member>();
  private readonly offsets = new Map<string, ClockOffset>();
  private swarm: Promise<Member> | undefined;
  private netem: Promise<boolean> | undefined;

  constructor(readonly members: readonly Member[]) {
    if (members.length === 0) throw new Error("SpreadRuntime: no engines");
  }

  get names(): string[] {
    return this.members.map((member) => member.name);
  }

  /**
   * Resolves when an engine answers: one that does not is named by the first call that needs it,
   * and `down` removes what the others hold.
   */
  async ping(): Promise<void> {
    const { unreachable } = await this.reachable();
    if (unreachable.length === this.members.length) await this.each((member) => member.engine.ping());
  }

  /**
   * The part of this lab's engines that answers now, with the names of those that do not: `down`
   * removes what it can reach and says what is left.
   */
  async reachable(): Promise<{ runtime: SpreadRuntime; unreachable: string[] }> {
    const answers = await Promise.all(this.members.map((member) => succeeds(() => member.engine.ping())));
    const up = this.members.filter((_, i) => answers[i]);
    const unreachable = this.members.filter((_, i) => !answers[i]).map((member) => member.name);
    if (up.length === 0) return { runtime: this, unreachable };
    const part = new SpreadRuntime(up);
    for (const [engine, offset] of this.offsets) part.offsets.set(engine, offset);
    return { runtime: part, unreachable };
  }

  /**
   * Checks that the engines are in one swarm and picks the manager that holds the lab's
   * network: the first engine that is one. Not so: an EnvironmentError with the commands that
   * make it so.
   */
  async checkSwarm(): Promise<string> {
    this.swarm ??= (async () => {
      const states = await this.each((member) => member.engine.swarmState());
      const problem = swarmProblem(
        this.members.map((member, i) => ({ name: member.name, endpoint: member.endpoint, state: states[i]! })),
      );
      if (problem) throw new EnvironmentError(problem.message, problem.fix);
      return this.members[states.findIndex((state) => state.manager)]!;
    })();
    this.swarm.catch(() => (this.swarm = undefined));
    return (await this.swarm).name;
  }

  /** Each engine's clock offset, measured now (clock-offset.ts) and used from now on. */
  async measureClockOffsets(): Promise<Record<string, ClockOffset>> {
    const measured = await this.each((member) => measureClockOffset(member.engine));
    this.members.forEach((member, i) => this.offsets.set(member.name, measured[i]!));
    return Object.fromEntries(this.offsets);
  }

  /** The offsets `up` measured, read back from the lab's topology: a later command puts times on the same clock. */
  useClockOffsets(offsets: Record<string, ClockOffset>): void {
    for (const [engine, offset] of Object.entries(offsets)) this.offsets.set(engine, offset);
  }

  /** The peer image, built on the first engine (or found there) and shipped to each engine without it. */
  async ensurePeerImage(progress: ImageBuildProgress): Promise<string> {
    const tag = await this.first.engine.ensurePeerImage(progress);
    await this.shipEverywhere(tag, progress);
    return tag;
  }

  async ensureBuiltImage(build: BuildContext, progress: ImageBuildProgress): Promise<string> {
    const tag = await this.first.engine.ensureBuiltImage(build, progress);
    await this.shipEverywhere(tag, progress);
    return tag;
  }

  /** Copies the first engine's image to every engine whose image of that tag differs (or that has none). */
  private async shipEverywhere(tag: string, progress: ImageBuildProgress): Promise<void> {
    const source = this.first;
    const id = await source.engine.imageId(tag);
    for (const member of this.members.slice(1)) {
      if (id !== undefined && (await member.engine.imageId(tag)) === id) continue;
      progress(`shipping ${tag} from ${source.name} to ${member.name} (save and load)`);
      await shipImage(source.engine, member.engine, tag, progress);
    }
  }

  /** The first engine's: an image is shipped between the engines by ensurePeerImage. */
  imageId(tag: string): Promise<string | undefined> {
    return this.first.engine.imageId(tag);
  }

  saveImage(tag: string): Promise<Readable> {
    return this.first.engine.saveImage(tag);
  }

  loadImage(archive: Readable): Promise<void> {
    return this.first.engine.loadImage(archive);
  }

  /** The first engine's clock: the others are put on this host's by their offsets. */
  engineTime(): Promise<string> {
    return this.first.engine.engineTime();
  }

  /** The lab's network: an attachable overlay on the swarm's manager. */
  async createNetwork(name: string, labels: Labels): Promise<void> {
    const manager = this.member(await this.checkSwarm());
    await manager.engine.createOverlayNetwork(name, labels);
  }

  /**
   * By the first engine that lists it, the manager when it is one: a swarm removes an overlay on
   * every node, a node asked after that answers "not found", and a worker cannot remove it at all.
   * The swarm does it a moment later on each node: this returns once no engine lists it, asking
   * again while one does, for at most NETWORK_GONE_MS.
   */
  async removeNetwork(id: string): Promise<void> {
    const deadline = Date.now() + NETWORK_GONE_MS;
    for (;;) {
      const holders = await this.holders(
        (engine) => engine.listNetworks({}),
        (network) => network.id === id,
      );
      if (holders.length === 0) return;
      const problems: string[] = [];
      for (const member of holders) {
        const removed = await member.engine.removeNetwork(id).then(
          () => true,
          (error: Error) => (problems.push(`${member.name}: ${error.message}`), false),
        );
        if (removed) break;
      }
      if (Date.now() > deadline) {
        throw new EnvironmentError(
          `network ${id.slice(0, 12)} is still listed by ${holders.map((member) => member.name).join(", ")} ${NETWORK_GONE_MS / 1000} s after the swarm was asked to remove it${problems.length ? ` (${problems.join("; ")})` : ""}`,
          "run lab down again; docker network rm ID on the swarm's manager removes it by hand",
        );
      }
      await sleep(250);
    }
  }

  /** Merged from every engine; a swarm network every node lists comes once. */
  async listNetworks(labels: Labels): Promise<NetworkInfo[]> {
    const lists = await this.each((member) => member.engine.listNetworks(labels));
    return unique(lists.flat(), (network) => network.id);
  }

  async networkEndpoints(id: string): Promise<NetworkEndpoint[]> {
    const lists = await this.each((member) => member.engine.networkEndpoints(id));
    return unique(lists.flat(), (endpoint) => endpoint.id);
  }

  async forceDisconnect(networkId: string, endpointName: string): Promise<void> {
    await this.each((member) => member.engine.forceDisconnect(networkId, endpointName));
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const member = spec.engine === undefined ? this.first : this.member(spec.engine);
    const id = await member.engine.createContainer(spec);
    this.where.set(id, member);
    return id;
  }

  async start(id: string): Promise<void> {
    await (await this.holding(id)).start(id);
  }

  async kill(id: string, signal: Signal): Promise<void> {
    await (await this.holding(id)).kill(id, signal);
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    await (await this.holding(id)).stop(id, graceSeconds);
  }

  async restart(id: string, graceSeconds: number): Promise<void> {
    await (await this.holding(id)).restart(id, graceSeconds);
  }

  async pause(id: string): Promise<void> {
    await (await this.holding(id)).pause(id);
  }

  async unpause(id: string): Promise<void> {
    await (await this.holding(id)).unpause(id);
  }

  async remove(id: string): Promise<void> {
    const member = await this.locate(id);
    if (member) await member.engine.remove(id);
    this.where.delete(id);
  }

  async inspect(id: string): Promise<ContainerInfo> {
    const member = await this.locate(id);
    if (!member) return this.first.engine.inspect(id);
    return this.onLabClock(member, await member.engine.inspect(id));
  }

  async listContainers(labels: Labels): Promise<ContainerInfo[]> {
    const lists = await this.each((member) => member.engine.listContainers(labels));
    return this.members.flatMap((member, i) =>
      lists[i]!.map((info) => {
        this.where.set(info.id, member);
        return this.onLabClock(member, info);
      }),
    );
  }

  async listContainerSummaries(labels: Labels): Promise<ContainerSummary[]> {
    const lists = await this.each((member) => member.engine.listContainerSummaries(labels));
    return this.members.flatMap((member, i) =>
      lists[i]!.map((summary) => {
        this.where.set(summary.id, member);
        return summary;
      }),
    );
  }

  /** On the engine of the container it reads: a helper shares the container's namespace, so it runs beside it. */
  async readTcpTables(id: string, helperLabels: Labels): Promise<TcpTables> {
    return (await this.holding(id)).readTcpTables(id, helperLabels);
  }

  async applyNetworkRules(id: string, rules: NetworkRules, helperLabels: Labels): Promise<AppliedRules> {
    return (await this.holding(id)).applyNetworkRules(id, rules, helperLabels);
  }

  /** Delay is done by netem only where every engine has it; else the reference peer delays its own links. */
  netemAvailable(helperLabels: Labels): Promise<boolean> {
    this.netem ??= this.each((member) => member.engine.netemAvailable(helperLabels)).then(
      (answers) => answers.every(Boolean),
      (error: unknown) => {
        this.netem = undefined;
        throw error;
      },
    );
    return this.netem;
  }

  /** The smallest of the limits known: each engine's kernel holds the neighbours of its own containers. */
  async neighbourTableLimit(): Promise<number | undefined> {
    const limits = (await this.each((member) => member.engine.neighbourTableLimit())).filter(
      (limit): limit is number => limit !== undefined,
    );
    return limits.length ? Math.min(...limits) : undefined;
  }

  async writeLine(id: string, line: string): Promise<void> {
    await (await this.holding(id)).writeLine(id, line);
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    const member = await this.locate(id);
    if (!member) return yield* this.first.engine.logs(id, options);
    const offset = this.offsets.get(member.name) ?? NO_OFFSET;
    for await (const line of member.engine.logs(id, options)) yield { ...line, ts: onLabClock(line.ts, offset) };
  }

  /** Every engine's events, merged as they come, each on this host's clock. */
  containerEvents(labels: Labels, options: ContainerEventOptions): AsyncIterable<ContainerEvent> {
    return mergeStreams(
      this.members.map((member) => this.eventsOf(member, labels, options)),
      options.signal,
    );
  }

  private async *eventsOf(
    member: Member,
    labels: Labels,
    options: ContainerEventOptions,
  ): AsyncIterable<ContainerEvent> {
    const offset = this.offsets.get(member.name) ?? NO_OFFSET;
    // The engine reads since and until on its own clock.
    const onEngineClock = (iso: string) => new Date(Date.parse(iso) + correctionMs(offset)).toISOString();
    const asked: ContainerEventOptions = {
      ...options,
      since: onEngineClock(options.since),
      ...(options.until ? { until: onEngineClock(options.until) } : {}),
    };
    for await (const event of member.engine.containerEvents(labels, asked)) {
      this.where.set(event.id, member);
      yield { ...event, ts: onLabClock(event.ts, offset) };
    }
  }

  private get first(): Member {
    return this.members[0]!;
  }

  private member(name: string): Member {
    const member = this.members.find((candidate) => candidate.name === name);
    if (!member) throw new LabError(`no engine named ${name} in this lab (engines: ${this.names.join(", ")})`, 2);
    return member;
  }

  /** The engine holding a container. */
  private async holding(id: string): Promise<SwarmEngine> {
    return ((await this.locate(id)) ?? this.first).engine;
  }

  /** Where the container is: remembered, else asked of every engine (a command started after up). */
  private async locate(id: string): Promise<Member | undefined> {
    const known = this.where.get(id);
    if (known) return known;
    const found = await Promise.all(this.members.map((member) => succeeds(() => member.engine.inspect(id))));
    const member = this.members[found.indexOf(true)];
    if (member) this.where.set(id, member);
    return member;
  }

  /** The members whose list (by `list`) holds something `matches` accepts. */
  private async holders<T>(
    list: (engine: SwarmEngine) => Promise<T[]>,
    matches: (item: T) => boolean,
  ): Promise<Member[]> {
    const lists = await this.each((member) => list(member.engine));
    return this.members.filter((_, i) => lists[i]!.some(matches));
  }

  /** Runs `call` on every engine at once; an engine that fails to answer is named in the error. */
  private async each<T>(call: (member: Member) => Promise<T>): Promise<T[]> {
    const settled = await Promise.allSettled(this.members.map(async (member) => call(member)));
    const failed = settled.flatMap((result, i) => (result.status === "rejected" ? [{ i, reason: result.reason }] : []));
    if (failed.length > 0) {
      const unanswered = failed.filter(({ reason }) => reason instanceof EnvironmentError);
      const first = (unanswered[0] ?? failed[0])!;
      if (unanswered.length > 0)
        throw new EngineUnreachableError(
          unanswered.map(({ i }) => this.members[i]!.name),
          (first.reason as Error).message,
        );
      throw first.reason;
    }
    return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
  }

  /** An engine's times put on this host's clock. */
  private onLabClock(member: Member, info: ContainerInfo): ContainerInfo {
    const offset = this.offsets.get(member.name) ?? NO_OFFSET;
    if (correctionMs(offset) === 0) return info;
    // An empty time is "never": it stays empty.
    const moved = (iso: string) => (iso === "" ? iso : onLabClock(iso, offset));
    return {
      ...info,
      createdAt: moved(info.createdAt),
      startedAt: moved(info.startedAt),
      finishedAt: moved(info.finishedAt),
    };
  }
}

/** Whether the call answers; a call that throws at once counts as one that fails. */
function succeeds(call: () => Promise<unknown>): Promise<boolean> {
  return Promise.resolve()
    .then(call)
    .then(
      () => true,
      () => false,
    );
}

/** How long the swarm may take to forget a removed overlay on every node. */
const NETWORK_GONE_MS = 30_000;

/** An engine whose offset was never measured: its times are taken as they are. */
const NO_OFFSET: ClockOffset = { offsetMs: 0, uncertaintyMs: 0 };

function unique<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && Boolean(seen.add(key(item))));
}
