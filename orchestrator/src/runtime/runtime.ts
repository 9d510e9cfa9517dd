import type { Readable } from "node:stream";
import { EXIT, LabError } from "../errors.js";

/**
 * What the orchestrator needs from a container engine, and nothing more. Docker is the
 * implementation (docker-runtime.ts, the only module that imports dockerode); the planner,
 * the commands and the tests speak only this interface.
 */

export type Labels = Record<string, string>;

export type ContainerState = "created" | "running" | "paused" | "restarting" | "exited" | "removing" | "dead";

export interface ContainerSpec {
  name: string;
  /** The engine it is created on, when the runtime has several (spread-runtime.ts); absent: the first. */
  engine?: string;
  image: string;
  /** Replaces the image's entrypoint when given. */
  entrypoint?: string[];
  cmd: string[];
  labels: Labels;
  /** The network it joins; absent: none at all (the journal talks to nobody). */
  network?: string;
  /** Names other containers on the network reach this one by. */
  aliases: string[];
  hostname: string;
  env: Record<string, string>;
  /** Memory (bytes, swap included) and processes/threads it may use; absent: the engine's (none). */
  limits?: ResourceLimits;
  /** Its log files on the engine's disk (json-file): rotated at `maxSize`, at most `maxFiles` kept; absent: the engine's default. */
  logFiles?: LogFiles;
  /** Run the process under an init (`docker run --init`), so it gets the signals' default actions. */
  init?: boolean;
}

export interface LogFiles {
  /** Docker's size syntax, e.g. 10m. */
  maxSize: string;
  maxFiles: number;
}

export interface ResourceLimits {
  memoryBytes: number;
  pids: number;
}

/**
 * createContainer: another container has this name. Container names are unique on an engine
 * even when two creates race (network names are not), so creating one is a claim.
 */
export class NameInUseError extends LabError {
  constructor(readonly container: string) {
    super(`the container name ${container} is in use`, EXIT.environment, `see docker ps -a --filter name=${container}`);
  }
}

/**
 * createContainer: the engine has no such image (it does not pull on create). Exit 3 as it stands:
 * only the caller knows whether the input named the image (a topology's `image:`, exit 2) or lab
 * built it a moment ago and it was removed since.
 */
export class ImageNotFoundError extends LabError {
  constructor(readonly image: string) {
    super(`the image ${image} is not on this engine`, EXIT.environment, `pull or build it: docker pull ${image}`);
  }
}

export interface ContainerInfo {
  id: string;
  name: string;
  labels: Labels;
  state: ContainerState;
  exitCode: number;
  /** ISO time from the engine. */
  createdAt: string;
  /** ISO times from the engine; empty when never started / not finished. */
  startedAt: string;
  finishedAt: string;
  /** Its address on its network while it runs (or is paused); absent when it has none (stopped, or on no network). */
  address?: string;
}

/** What the engine's container list tells of a container by itself, without an inspect per container. */
export type ContainerSummary = Pick<ContainerInfo, "id" | "name" | "labels" | "state">;

export interface NetworkInfo {
  id: string;
  name: string;
  labels: Labels;
}

/**
 * An endpoint a network holds: a container attached to it, or one the engine kept after removing
 * its container (the stale endpoints of moby#42119), which keeps the network from being removed.
 */
export interface NetworkEndpoint {
  /** The engine's key for it: the container's id, or `ep-<endpoint id>` for some stale ones. */
  id: string;
  /** The container's name on the network: what a forced disconnect of a stale endpoint finds it by. */
  name: string;
}

export interface LogLine {
  /** The engine's timestamp (ISO, nanoseconds trimmed to ms). */
  ts: string;
  stream: "stdout" | "stderr";
  text: string;
}

export interface LogOptions {
  follow: boolean;
  /** Only new lines: none of what the container printed before. */
  newOnly?: boolean;
  signal?: AbortSignal;
}

/** The changes of a container's life that decide whether its process runs. */
export const CONTAINER_CHANGES = ["start", "die", "pause", "unpause"] as const;
export type ContainerChange = (typeof CONTAINER_CHANGES)[number];

/** One change of a container's life, as the engine's event stream tells it. */
export interface ContainerEvent {
  /** The engine's time (ISO, ms). */
  ts: string;
  id: string;
  change: ContainerChange;
  /** For "die": the process's exit code. */
  exitCode?: number;
}

export interface ContainerEventOptions {
  /** Replayed from this ISO time: the engine keeps only its most recent events. */
  since: string;
  /** Ends at this ISO time; without it the stream stays live until the signal aborts. */
  until?: string;
  signal?: AbortSignal;
}

/** Stop and restart send SIGTERM through the engine; kill is for the hard stop. */
export type Signal = "SIGKILL";

/** The files `readTcpTables` reads: the TCP sockets of a container's network namespace. */
export const TCP_TABLE_FILES = ["/proc/net/tcp", "/proc/net/tcp6"] as const;

/** A container's TCP tables: both files' text, one after the other, and how they were read. */
export interface TcpTables {
  text: string;
  /** "exec": `cat` run in the container; "helper": a short-lived container sharing its network namespace. */
  via: "exec" | "helper";
}

/** readTcpTables: neither way could read them; `message` says why each failed. */
export class TcpTablesUnreadableError extends LabError {
  constructor(
    readonly container: string,
    readonly problems: { exec: string; helper: string },
  ) {
    super(
      `cannot read the TCP tables of ${container.slice(0, 12)}: exec: ${problems.exec}; helper: ${problems.helper}`,
      EXIT.environment,
    );
  }
}

/** The network faults one container's namespace carries: every list empty/absent means none. */
export interface NetworkRules {
  /** Names the lab in every rule's comment (`p2plab:<lab>`), so a listing can prove none is left. */
  lab: string;
  /**
   * Packets from these addresses to the container are dropped silently (no reset), on arrival:
   * the sender learns nothing, whatever the protocol. (Dropped in the sender's own OUTPUT chain,
   * a packet is no silence: the kernel fails a UDP send with EPERM, and TCP, told at once,
   * resends within milliseconds where a lost packet costs a retransmission timeout.)
   */
  dropFrom: string[];
  /** Random loss of the packets arriving from an address, on arrival as dropFrom. percent in (0, 100]. */
  lossFrom: Array<{ percent: number; from: string }>;
  /** Delay of outgoing packets by netem: only when `netemAvailable()` said yes; to all, or to one address. */
  delay: Array<{ ms: number; jitterMs: number; to?: string }>;
  /** Rate limit of all outgoing packets, kbit/s (tbf). */
  rateKbit?: number;
}

/** What the namespace carries after applying, as listed back from it (iptables-save lines and tc qdiscs with the lab's mark). */
export interface AppliedRules {
  iptables: string[];
  qdiscs: string[];
}

/**
 * applyNetworkRules: the container does not run, so it has no network namespace to carry rules
 * (the engine makes a new one at each start). The caller skips it and applies its rules when it
 * starts again.
 */
export class NoNetworkNamespaceError extends LabError {
  constructor(
    readonly container: string,
    readonly state: ContainerState,
  ) {
    super(
      `${container} is ${state}: a container that does not run has no network namespace to carry network rules`,
      EXIT.environment,
      "start it first; its rules are applied again once it runs",
    );
  }
}

export interface ImageBuildProgress {
  (line: string): void;
}

/** A peer image built from a directory of the user's (a topology's `build:`). */
export interface BuildContext {
  /** Absolute. */
  context: string;
  /** Relative to the context. */
  dockerfile: string;
  args: Record<string, string>;
}

export interface Runtime {
  /** Resolves when the engine answers; throws EnvironmentError when it does not. */
  ping(): Promise<void>;
  /** Builds the peer image when it is missing or stale; returns its tag. */
  ensurePeerImage(progress: ImageBuildProgress): Promise<string>;
  /** Builds a `build:` image when it is missing or stale; returns its tag. A failed build is an InputError quoting the failing step. */
  ensureBuiltImage(build: BuildContext, progress: ImageBuildProgress): Promise<string>;
  /** The id of the image this tag names here; undefined when the engine lacks it. Save and load keep an image's id. */
  imageId(tag: string): Promise<string | undefined>;
  /** The image as the engine exports it (`docker save`: a tar stream); ImageNotFoundError when the engine lacks it. */
  saveImage(tag: string): Promise<Readable>;
  /** Reads an archive saveImage made (`docker load`); resolves once the engine holds its images, throws when it refuses it. */
  loadImage(archive: Readable): Promise<void>;
  /** The engine's clock now, as it tells it (GET /info's SystemTime: ISO, to the nanosecond on Docker): clock-offset.ts. */
  engineTime(): Promise<string>;

  createNetwork(name: string, labels: Labels): Promise<void>;
  removeNetwork(id: string): Promise<void>;
  listNetworks(labels: Labels): Promise<NetworkInfo[]>;
  /** What still holds the network: none once its containers are gone, unless the engine kept stale endpoints. */
  networkEndpoints(id: string): Promise<NetworkEndpoint[]>;
  /**
   * Detaches an endpoint, by name, from the network by force (`docker network disconnect --force`):
   * works on a stale endpoint whose container is gone; one already gone is no error.
   */
  forceDisconnect(networkId: string, endpointName: string): Promise<void>;

  /** Throws NameInUseError when a container of that name exists (or is being created). */
  createContainer(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  kill(id: string, signal: Signal): Promise<void>;
  stop(id: string, graceSeconds: number): Promise<void>;
  restart(id: string, graceSeconds: number): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerInfo>;
  /** The containers carrying these labels, each inspected: one engine request per container, plus the list. */
  listContainers(labels: Labels): Promise<ContainerInfo[]>;
  /** The containers carrying these labels as the list alone gives them: one engine request, whatever their number. */
  listContainerSummaries(labels: Labels): Promise<ContainerSummary[]>;

  /**
   * The TCP tables of the container's network namespace (TCP_TABLE_FILES): through `cat` in the
   * container, or, when that fails (no `cat` in its image, a paused container), through a
   * short-lived container of the peer image sharing its network namespace, carrying
   * `helperLabels` and removed before this returns. Throws TcpTablesUnreadableError when neither
   * works (a stopped container has no namespace left to read).
   */
  readTcpTables(id: string, helperLabels: Labels): Promise<TcpTables>;

  /**
   * Makes the container's network namespace carry exactly `rules` (an empty set removes every
   * rule and qdisc the lab put there), then lists back what it carries. Done by a short-lived
   * container of the peer image sharing that namespace, with NET_ADMIN granted to it alone,
   * carrying `helperLabels`, removed before this returns: any peer image, no capability for the
   * peer. Works while the container is paused; throws NoNetworkNamespaceError when it does not
   * run, an EnvironmentError quoting the failing command when the namespace refuses a rule.
   */
  applyNetworkRules(id: string, rules: NetworkRules, helperLabels: Labels): Promise<AppliedRules>;
  /** Whether this engine's kernel has netem (for `delay`): probed once, by a helper in a namespace of its own. */
  netemAvailable(helperLabels: Labels): Promise<boolean>;
  /**
   * The most neighbour (ARP) entries the engine's kernel keeps for all its containers together
   * (lab/neighbour-table.ts); undefined when it cannot be read from here (an engine elsewhere).
   */
  neighbourTableLimit(): Promise<number | undefined>;

  /** Types one line into the container's stdin. */
  writeLine(id: string, line: string): Promise<void>;
  /** The container's output, line by line, with the engine's timestamps; a line the engine cut into parts comes back whole. */
  logs(id: string, options: LogOptions): AsyncIterable<LogLine>;
  /** Start, die, pause and unpause of the containers carrying these labels, whoever caused them. */
  containerEvents(labels: Labels, options: ContainerEventOptions): AsyncIterable<ContainerEvent>;
}
