import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { EnvironmentError, InputError, LabError } from "../errors.js";
import { builtImageTag } from "./built-image.js";
import { LoopbackNetworks, type Endpoint } from "./memory-network.js";
import { ENDED, cat, referencePeer, type Process, type Program } from "./memory-programs.js";
import { buildFailedMessage } from "./peer-image.js";
import { appliedListing } from "./network-script.js";
import {
  ImageNotFoundError,
  NameInUseError,
  NoNetworkNamespaceError,
  type AppliedRules,
  type BuildContext,
  type ContainerChange,
  type ContainerEvent,
  type ContainerEventOptions,
  type ContainerInfo,
  type ContainerSummary,
  type ContainerSpec,
  type ContainerState,
  type ImageBuildProgress,
  type Labels,
  type LogLine,
  type LogOptions,
  type NetworkEndpoint,
  type NetworkInfo,
  type NetworkRules,
  type Runtime,
  type Signal,
  type TcpTables,
  TcpTablesUnreadableError,
} from "./runtime.js";

/** The tag `ensurePeerImage` gives: the reference peer, run in this process. */
export const MEMORY_PEER_IMAGE = "p2plab/peer:in-memory";

/** How big a memory image's archive is: enough chunks for shipping to report progress on. */
export const MEMORY_IMAGE_ARCHIVE_BYTES = 256 * 1024;
const ARCHIVE_CHUNK_BYTES = 16 * 1024;

/** An image here: the program its containers run, and its id, which save and load keep. */
interface MemoryImage {
  program: Program;
  id: string;
}

/**
 * The programs of the images saved so far, by image id. An archive is bytes (its tag and id, then
 * filler); the program cannot be, so a load takes it from here by the id, as an engine unpacks
 * an image from its tar.
 */
const archivedPrograms = new Map<string, Program>();

/** The executables an entrypoint may name, in every image. */
const COMMANDS: Record<string, Program> = { cat };

interface Container {
  id: string;
  spec: ContainerSpec;
  createdAt: string;
  state: ContainerState;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  /** Its address on its network (none without one): the same for its whole life, as an engine usually keeps it. */
  address?: string;
  log: LogLine[];
  /** Counts the starts: what a run's process does after the run ended is not heard. */
  run: number;
  process?: Promise<Process>;
  /** Resolves when the current run's process has ended. */
  ended?: Promise<void>;
  endRun?: () => void;
  /** Stdin typed while frozen: a frozen process reads nothing. */
  heldInput: Buffer[];
  /** Woken at every line and change of state: log followers wait here. */
  changed: Set<() => void>;
}

/**
 * A Runtime without an engine: containers are records, networks live on loopback
 * (memory-network.ts), and each container runs its image's program in this process
 * (memory-programs.ts): the reference peer image runs a real `Peer`, so peers wire, forward and
 * fail as they do in containers. It keeps the contract of runtime.ts as DockerRuntime does:
 * unique names (a create that loses the race gets NameInUseError), the engine's states, exit
 * codes, start and finish times, logs with timestamps (a follow ends when the container stops),
 * container events replayed from a time, and the engine's refusals with its exit codes
 * (404: 2; others: 3). For the lab flows' unit tests, on machines without Docker.
 */
export class MemoryRuntime implements Runtime {
  private readonly containers = new Map<string, Container>();
  protected readonly networks = new Map<string, NetworkInfo>();
  /** Endpoints kept after their container was removed (moby#42119), by network name. */
  private readonly staleEndpoints = new Map<string, NetworkEndpoint[]>();
  private staleRemovalsLeft = 0;
  private readonly events: Array<ContainerEvent & { labels: Labels }> = [];
  private readonly eventsChanged = new Set<() => void>();
  private readonly loopback: LoopbackNetworks;
  private readonly images: Map<string, MemoryImage>;
  private addressesGiven = 0;
  /** Set by `stopAnswering`: every call fails as a call to an engine that has gone away. */
  private gone = false;
  /** This engine's clock minus the host's (ms): the times it gives, as an engine on another machine would. */
  clockSkewMs = 0;

  /**
   * `images`: the programs of other images (a custom peer); the reference peer is always there.
   * `builds`: what the image built from each context (by its absolute path) runs.
   */
  constructor(
    images: Record<string, Program> = {},
    private readonly builds: Record<string, Program> = {},
    /** Several memory engines in one swarm share it (memory-swarm.ts): their containers reach each other. */
    protected readonly fabric?: MemoryFabric,
  ) {
    this.images = new Map(
      [[MEMORY_PEER_IMAGE, referencePeer] as const, ...Object.entries(images)].map(([tag, program]) => [
        tag,
        { program, id: imageIdOf(tag) },
      ]),
    );
    this.loopback = fabric?.loopback ?? new LoopbackNetworks();
  }

  async ping(): Promise<void> {
    this.answer();
  }

  /**
   * Plays an engine that went away (stopped, or its socket gone): every call from now fails with
   * the EnvironmentError DockerRuntime gives then, and the log and event streams followed end
   * with it. The containers' processes go on, as they would in an engine lab can no longer reach.
   */
  stopAnswering(): void {
    this.gone = true;
    wake(this.eventsChanged);
    for (const c of this.containers.values()) wake(c.changed);
  }

  private answer(): void {
    if (this.gone) {
      throw new EnvironmentError(
        "no Docker engine answers at memory (ECONNREFUSED)",
        "start the engine (scripts/ensure-docker.sh, or `sudo systemctl start docker`), or point DOCKER_HOST at one",
      );
    }
  }

  async ensurePeerImage(): Promise<string> {
    return MEMORY_PEER_IMAGE;
  }

  /** As DockerRuntime does, under the same tag; a context with no program fails as a build that fails does. */
  async ensureBuiltImage(build: BuildContext, progress: ImageBuildProgress): Promise<string> {
    const tag = builtImageTag(build);
    if (this.images.has(tag)) return tag;
    const program = this.builds[build.context];
    if (!program) {
      throw new InputError(
        buildFailedMessage(`building ${tag} from ${build.context}`, {
          error: "the memory runtime has no program for this context",
          output: [],
        }),
      );
    }
    progress(`building ${tag} from ${build.context}`);
    this.images.set(tag, { program, id: imageIdOf(tag) });
    return tag;
  }

  async imageId(tag: string): Promise<string | undefined> {
    return this.images.get(tag)?.id;
  }

  /** As `docker rmi` (refused while a container uses it): for tests of an engine that lacks an image. */
  removeImage(tag: string): void {
    const user = [...this.containers.values()].find((c) => c.spec.image === tag);
    if (user) throw refusal(`remove image ${tag}`, `image is being used by container ${user.id.slice(0, 12)}`, 409);
    this.images.delete(tag);
  }

  async saveImage(tag: string): Promise<Readable> {
    const image = this.images.get(tag);
    if (!image) throw new ImageNotFoundError(tag);
    archivedPrograms.set(image.id, image.program);
    const archive = Buffer.alloc(MEMORY_IMAGE_ARCHIVE_BYTES);
    archive.write(`${JSON.stringify({ tag, id: image.id })}\n`);
    const chunks = [];
    for (let at = 0; at < archive.length; at += ARCHIVE_CHUNK_BYTES)
      chunks.push(archive.subarray(at, at + ARCHIVE_CHUNK_BYTES));
    return Readable.from(chunks);
  }

  async loadImage(archive: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of archive) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const header = bytes.subarray(0, bytes.indexOf("\n")).toString();
    let image: { tag: string; id: string } | undefined;
    try {
      image = JSON.parse(header) as { tag: string; id: string };
    } catch {
      image = undefined;
    }
    const program = image && archivedPrograms.get(image.id);
    if (!image || !program || bytes.length !== MEMORY_IMAGE_ARCHIVE_BYTES) {
      throw refusal("load an image", "unexpected EOF: not an archive saveImage made, or a part of one", 400);
    }
    this.images.set(image.tag, { program, id: image.id });
  }

  async engineTime(): Promise<string> {
    this.answer();
    return this.now();
  }

  async createNetwork(name: string, labels: Labels): Promise<void> {
    if ([...this.networks.values()].some((network) => network.name === name)) {
      throw refusal(`create network ${name}`, `network with name ${name} already exists`, 409);
    }
    const id = newId();
    this.networks.set(id, { id, name, labels: { ...labels } });
  }

  async removeNetwork(id: string): Promise<void> {
    const network = this.networks.get(id);
    if (!network) return;
    if ((await this.networkEndpoints(id)).length > 0) {
      throw refusal(
        `remove network ${id}`,
        `error while removing network: network ${network.name} id ${id} has active endpoints`,
        403,
      );
    }
    this.networks.delete(id);
    this.fabric?.overlays.delete(id);
    this.staleEndpoints.delete(network.name);
  }

  async listNetworks(labels: Labels): Promise<NetworkInfo[]> {
    this.answer();
    // A swarm network is listed by a node that did not make it once a container there joins it.
    const joined = [...(this.fabric?.overlays.values() ?? [])].filter(
      (overlay) =>
        !this.networks.has(overlay.id) &&
        [...this.containers.values()].some((c) => c.spec.network === overlay.name && isLive(c)),
    );
    return [...this.networks.values(), ...joined]
      .filter((network) => carries(network.labels, labels))
      .map((network) => ({ ...network, labels: { ...network.labels } }));
  }

  async networkEndpoints(id: string): Promise<NetworkEndpoint[]> {
    const network = this.networks.get(id);
    if (!network) return [];
    const attached = [...this.containers.values()].filter((c) => c.spec.network === network.name && isLive(c));
    return [
      ...attached.map((c) => ({ id: c.id, name: c.spec.name })),
      ...(this.staleEndpoints.get(network.name) ?? []).map((endpoint) => ({ ...endpoint })),
    ];
  }

  /** Stale endpoints only: a running container stays on its network here (lab never detaches one). */
  async forceDisconnect(networkId: string, endpointName: string): Promise<void> {
    const network = this.networks.get(networkId);
    if (!network) return;
    const what = `disconnect ${endpointName} from network ${networkId}`;
    if ([...this.containers.values()].some((c) => c.spec.name === endpointName && isLive(c)))
      throw refusal(what, "the memory runtime does not detach a running container from its network", 400);
    const stale = this.staleEndpoints.get(network.name) ?? [];
    this.staleEndpoints.set(
      network.name,
      stale.filter((endpoint) => endpoint.name !== endpointName),
    );
  }

  /**
   * The next `count` removals of a running container on a network leave its endpoint there, as
   * the engine does now and then under many removals at once (moby#42119): the network then
   * refuses removal ("active endpoints") until they are disconnected by force.
   */
  leaveStaleEndpoints(count: number): void {
    this.staleRemovalsLeft = count;
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    // Checked and claimed in one synchronous step: of two creates of one name, exactly one wins.
    if ([...this.containers.values()].some((c) => c.spec.name === spec.name)) throw new NameInUseError(spec.name);
    const what = `create container ${spec.name}`;
    if (!this.images.has(spec.image)) throw refusal(what, `No such image: ${spec.image}`, 404);
    const networks = [...this.networks.values(), ...(this.fabric?.overlays.values() ?? [])];
    if (spec.network !== undefined && !networks.some((network) => network.name === spec.network)) {
      throw refusal(what, `network ${spec.network} not found`, 404);
    }
    const id = newId();
    this.containers.set(id, {
      id,
      spec: structuredClone(spec),
      createdAt: this.now(),
      state: "created",
      exitCode: 0,
      startedAt: "",
      finishedAt: "",
      ...(spec.network === undefined ? {} : { address: this.newAddress() }),
      log: [],
      run: 0,
      heldInput: [],
      changed: new Set(),
    });
    return id;
  }

  async start(id: string): Promise<void> {
    const c = this.container(id, `start ${id}`);
    if (c.state === "running") return;
    if (c.state === "paused") throw refusal(`start ${id}`, "cannot start a paused container, try unpause instead", 409);
    const entrypoint = c.spec.entrypoint?.join(" ");
    const program = entrypoint === undefined ? this.images.get(c.spec.image)!.program : COMMANDS[entrypoint];
    if (!program) {
      c.exitCode = 127;
      throw refusal(
        `start ${id}`,
        `failed to create task for container: exec: "${entrypoint}": executable file not found in $PATH`,
        400,
      );
    }
    const run = ++c.run;
    c.state = "running";
    c.startedAt = this.now();
    c.ended = new Promise((resolve) => (c.endRun = resolve));
    this.record(c, "start");
    const endpoint: Endpoint = {
      id,
      ...(c.spec.network === undefined ? {} : { network: c.spec.network }),
      names: [c.spec.name, ...c.spec.aliases],
      ...(c.address === undefined ? {} : { address: c.address }),
    };
    c.process = program({
      argv: c.spec.cmd,
      print: (stream, text) => {
        if (c.run !== run || !isLive(c)) return;
        c.log.push({ ts: this.now(), stream, text });
        wake(c.changed);
      },
      exit: (code) => {
        if (c.run === run) this.end(c, code);
      },
      network: {
        route: (target) => this.loopback.route(endpoint, target),
        listen: (port, actualPort) => {
          if (c.run === run && isLive(c)) this.loopback.listen(endpoint, port, actualPort);
        },
      },
    });
    try {
      await c.process;
    } catch (error) {
      // The process failed as it started: it printed why and exited, as a real one would.
      c.process = Promise.resolve(ENDED);
      c.log.push({ ts: this.now(), stream: "stderr", text: String((error as Error).message) });
      if (c.run === run) this.end(c, 1);
    }
  }

  async kill(id: string, _signal: Signal): Promise<void> {
    const c = this.container(id, `send SIGKILL to ${id}`);
    if (c.state === "paused")
      throw refusal(
        `send SIGKILL to ${id}`,
        `Container ${id} is paused. Unpause the container before stopping or killing`,
        409,
      );
    if (c.state !== "running")
      throw refusal(`send SIGKILL to ${id}`, `Cannot kill container: ${id}: Container ${id} is not running`, 409);
    await this.killProcess(c);
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const c = this.container(id, `stop ${id}`);
    if (c.state === "paused")
      throw refusal(`stop ${id}`, `Container ${id} is paused. Unpause the container before stopping or killing`, 409);
    if (c.state !== "running") return;
    const ended = c.ended!;
    (await c.process!).terminate();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"grace over">(
      (resolve) => (timer = setTimeout(() => resolve("grace over"), graceSeconds * 1000)),
    );
    const outcome = await Promise.race([ended, graceOver]);
    clearTimeout(timer);
    if (outcome === "grace over" && c.state === "running") await this.killProcess(c);
  }

  async restart(id: string, graceSeconds: number): Promise<void> {
    await this.stop(id, graceSeconds);
    await this.start(id);
  }

  async pause(id: string): Promise<void> {
    const c = this.container(id, `pause ${id}`);
    if (c.state === "paused") throw refusal(`pause ${id}`, `Container ${id} is already paused`, 409);
    if (c.state !== "running") throw refusal(`pause ${id}`, `Container ${id} is not running`, 409);
    const running = await c.process!;
    c.state = "paused";
    running.freeze();
    this.loopback.freeze(id);
    this.record(c, "pause");
  }

  async unpause(id: string): Promise<void> {
    const c = this.container(id, `unpause ${id}`);
    if (c.state !== "paused") throw refusal(`unpause ${id}`, `Container ${id} is not paused`, 409);
    const running = await c.process!;
    c.state = "running";
    this.record(c, "unpause");
    running.thaw();
    this.loopback.thaw(id);
    for (const chunk of c.heldInput.splice(0)) running.input(chunk);
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    if (isLive(c) && c.spec.network !== undefined && this.staleRemovalsLeft > 0) {
      this.staleRemovalsLeft--;
      const stale = this.staleEndpoints.get(c.spec.network) ?? [];
      this.staleEndpoints.set(c.spec.network, [...stale, { id: `ep-${newId()}`, name: c.spec.name }]);
    }
    if (isLive(c)) await this.killProcess(c);
    this.containers.delete(id);
    this.loopback.remove(id);
    wake(c.changed);
  }

  async inspect(id: string): Promise<ContainerInfo> {
    return info(this.container(id, `inspect ${id}`));
  }

  async listContainers(labels: Labels): Promise<ContainerInfo[]> {
    this.answer();
    return [...this.containers.values()].filter((c) => carries(c.spec.labels, labels)).map(info);
  }

  async listContainerSummaries(labels: Labels): Promise<ContainerSummary[]> {
    return (await this.listContainers(labels)).map(({ id, name, labels, state }) => ({ id, name, labels, state }));
  }

  /**
   * As DockerRuntime reads them: `cat` in a running container (every image here has it), the
   * helper sharing the namespace of a paused one; a container that does not run has none.
   */
  async readTcpTables(id: string, _helperLabels: Labels): Promise<TcpTables> {
    const c = this.container(id, `run cat in ${id.slice(0, 12)}`);
    if (c.state === "running") return { text: this.loopback.tcpTables(id), via: "exec" };
    if (c.state === "paused") return { text: this.loopback.tcpTables(id), via: "helper" };
    throw new TcpTablesUnreadableError(id, {
      exec: `run cat in ${id.slice(0, 12)}: Container ${id} is not running`,
      helper: `run a helper container in the network of ${id.slice(0, 12)}: cannot join network of a non running container: ${id}`,
    });
  }

  /**
   * The drops are real: the network carries nothing to a container from an address in
   * `dropFrom` (memory-network.ts). Loss, delay and rate are only listed
   * back: nothing here is lost, delayed or shaped. The iptables lines are those DockerRuntime
   * lists for the same rules on eth0, the qdiscs in tc's shape (network-script.ts). A container's
   * rules end when it stops, as its namespace does.
   */
  async applyNetworkRules(id: string, rules: NetworkRules, _helperLabels: Labels): Promise<AppliedRules> {
    const listing = appliedListing(rules, "eth0");
    const c = this.container(id, `inspect ${id}`);
    if (!isLive(c)) throw new NoNetworkNamespaceError(c.spec.name, c.state);
    this.loopback.drop(id, rules.dropFrom);
    return listing;
  }

  /** Set by a test to play a kernel's limit. */
  neighbourLimit: number | undefined;

  async neighbourTableLimit(): Promise<number | undefined> {
    return this.neighbourLimit;
  }

  /** No kernel here, so no netem: delay is listed, never done. */
  async netemAvailable(_helperLabels: Labels): Promise<boolean> {
    return false;
  }

  async writeLine(id: string, line: string): Promise<void> {
    const c = this.container(id, `attach to ${id}`);
    if (!isLive(c)) throw refusal(`attach to ${id}`, "You cannot attach to a stopped container, start it first", 409);
    const chunk = Buffer.from(`${line}\n`);
    if (c.state === "paused") c.heldInput.push(chunk);
    else (await c.process!).input(chunk);
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    const c = this.container(id, `${options.follow ? "follow" : "read"} logs of ${id}`);
    const run = c.run;
    const following = options.follow && isLive(c);
    let next = following && options.newOnly ? c.log.length : 0;
    for (;;) {
      this.answer();
      while (next < c.log.length) yield c.log[next++]!;
      // As the engine does: a follow ends when the container stops (a restart too) or is removed.
      if (!following || options.signal?.aborted || c.run !== run || !isLive(c) || !this.containers.has(id)) return;
      await changeOf(c.changed, options.signal);
    }
  }

  async *containerEvents(labels: Labels, options: ContainerEventOptions): AsyncIterable<ContainerEvent> {
    const until = options.until === undefined ? undefined : Date.parse(options.until);
    let next = 0;
    for (;;) {
      this.answer();
      for (; next < this.events.length; next++) {
        const { labels: carried, ...event } = this.events[next]!;
        if (
          event.ts >= options.since &&
          (until === undefined || Date.parse(event.ts) <= until) &&
          carries(carried, labels)
        )
          yield event;
      }
      // `until` is on this engine's clock, as the engine reads it.
      if (options.signal?.aborted || (until !== undefined && Date.now() + this.clockSkewMs > until)) return;
      await changeOf(this.eventsChanged, options.signal, until === undefined ? undefined : until - this.clockSkewMs);
    }
  }

  /** Ends every process and frees every loopback port, as an engine's shutdown would. */
  async close(): Promise<void> {
    for (const id of [...this.containers.keys()]) await this.remove(id);
    this.networks.clear();
    this.staleEndpoints.clear();
  }

  /** Now on this engine's clock. */
  private now(): string {
    return new Date(Date.now() + this.clockSkewMs).toISOString();
  }

  /** 10.88.0.2, 10.88.0.3, …: one address per container, never reused (in the whole fabric when there is one). */
  private newAddress(): string {
    const n = this.fabric ? this.fabric.addressesGiven++ : this.addressesGiven++;
    return `10.88.${Math.floor(n / 250)}.${(n % 250) + 2}`;
  }

  private container(id: string, what: string): Container {
    this.answer();
    const c = this.containers.get(id);
    if (!c) throw refusal(what, `No such container: ${id}`, 404);
    return c;
  }

  /** SIGKILL: the process is gone at once, its sockets closed; exit code 137. */
  private async killProcess(c: Container): Promise<void> {
    const running = await c.process!;
    this.end(c, 137);
    running.kill();
  }

  private end(c: Container, exitCode: number): void {
    if (!isLive(c)) return;
    c.state = "exited";
    c.exitCode = exitCode;
    c.finishedAt = this.now();
    c.heldInput = [];
    this.loopback.cut(c.id);
    this.record(c, "die", exitCode);
    c.endRun!();
    wake(c.changed);
  }

  private record(c: Container, change: ContainerChange, exitCode?: number): void {
    this.events.push({
      ts: this.now(),
      id: c.id,
      change,
      ...(exitCode === undefined ? {} : { exitCode }),
      labels: c.spec.labels,
    });
    wake(this.eventsChanged);
  }
}

/** What memory engines in one swarm share: the loopback network, the swarm's overlay networks, the addresses. */
export class MemoryFabric {
  readonly loopback = new LoopbackNetworks();
  /** By id: every node may join them by name. */
  readonly overlays = new Map<string, NetworkInfo>();
  addressesGiven = 0;
}

function info(c: Container): ContainerInfo {
  return {
    id: c.id,
    name: c.spec.name,
    labels: { ...c.spec.labels },
    state: c.state,
    exitCode: c.exitCode,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    ...(c.address !== undefined && isLive(c) ? { address: c.address } : {}),
  };
}

/** A process runs in it, frozen or not. */
function isLive(c: Container): boolean {
  return c.state === "running" || c.state === "paused";
}

/** Label filters as the engine reads them: an empty value asks only that the label be there. */
function carries(labels: Labels, wanted: Labels): boolean {
  return Object.entries(wanted).every(([key, value]) => (value === "" ? key in labels : labels[key] === value));
}

/** An engine refusal as DockerRuntime reports it: what was being done and the engine's words; a 404 is exit 2. */
function refusal(what: string, message: string, status: 400 | 403 | 404 | 409): LabError {
  return new LabError(`${what}: ${message}`, status === 404 ? 2 : 3);
}

/** One tag, one id, on every memory engine: as one image is, once shipped. */
function imageIdOf(tag: string): string {
  return `sha256:${createHash("sha256").update(tag).digest("hex")}`;
}

function newId(): string {
  return randomBytes(32).toString("hex");
}

function wake(waiters: Set<() => void>): void {
  for (const waiter of [...waiters]) waiter();
}

/** Resolves at the next change, when the signal aborts, or at `until` (ms). */
function changeOf(waiters: Set<() => void>, signal?: AbortSignal, until?: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      waiters.delete(done);
      signal?.removeEventListener("abort", done);
      clearTimeout(timer);
      resolve();
    };
    waiters.add(done);
    signal?.addEventListener("abort", done, { once: true });
    const timer = until === undefined ? undefined : setTimeout(done, Math.max(0, until - Date.now() + 1));
  });
}
