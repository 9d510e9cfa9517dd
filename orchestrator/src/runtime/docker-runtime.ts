import { readFile } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { PassThrough, type Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import Docker from "dockerode";
import { pack } from "tar-fs";
import { formatDuration } from "../../../peer/src/duration.js";
import { EnvironmentError, EXIT, LabError } from "../errors.js";
import { packageRoot } from "../paths.js";
import { BuildSteps } from "./build-output.js";
import { ensureBuiltImage } from "./built-image.js";
import { MultiplexDecoder } from "./docker-logs.js";
import {
  ensureBaseImage,
  ensurePeerImage,
  referencePeerImage,
  type BaseImageOptions,
  type BuildFailure,
  type ImageBuild,
  type ImageEngine,
  type LocalImage,
} from "./peer-image.js";
import { networkRulesFailed, networkScript, parseListing } from "./network-script.js";
import {
  CONTAINER_CHANGES,
  ImageNotFoundError,
  NameInUseError,
  NoNetworkNamespaceError,
  type AppliedRules,
  type BuildContext,
  type ContainerChange,
  type ContainerEvent,
  type ContainerEventOptions,
  type ContainerInfo,
  type ContainerSpec,
  type ContainerState,
  type ContainerSummary,
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
  TCP_TABLE_FILES,
  TcpTablesUnreadableError,
} from "./runtime.js";
import type { EngineAddress, EngineConnection } from "./engines.js";
import type { SwarmEngine } from "./spread-runtime.js";
import { StandInScript, thisHost } from "./stand-in-base.js";
import type { SwarmState } from "./swarm.js";

/**
 * How long an engine call may take before the engine counts as hung. Calls answer in
 * milliseconds; creating and starting containers on a loaded 2-core host takes seconds.
 */
const CALL_TIMEOUT_MS = 60_000;
/** Every command pings first, and a healthy engine answers a ping at once even when busy: a hung one is said quickly. */
const PING_TIMEOUT_MS = 10_000;

interface CallOptions {
  /** Statuses that mean "already done": the call then resolves to undefined. */
  ignoreStatus?: number[];
  /** Default CALL_TIMEOUT_MS; null for no bound (each such call says why). */
  timeoutMs?: number | null;
}

interface EngineError extends Error {
  code?: string;
  /** The socket path of a failed connection. */
  address?: string;
  statusCode?: number;
  /** docker-modem's word for the status ("server error"), which it puts before the engine's message. */
  reason?: string;
  json?: { message?: string } | null;
}

/** What the engine said, without docker-modem's "(HTTP code 500) server error - " before it. */
function engineMessage(error: EngineError): string {
  const text = (error.json?.message ?? error.message).replace(/^\(HTTP code \d+\)\s*/, "");
  return (error.reason && text.startsWith(`${error.reason} - `) ? text.slice(error.reason.length + 3) : text).trim();
}

/** What a command (a `cat` of the TCP tables, a helper's script) printed, and how it ended. */
interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** The header line of /proc/net/tcp (and tcp6): its presence means the table was read. */
const TCP_TABLE_HEADER = /^\s*sl\s+local_address/m;

/** One event of a build or pull stream. */
interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  error?: string;
}

/** The Docker Engine runtime: the one module that talks to dockerode. */
export class DockerRuntime implements Runtime, ImageEngine, SwarmEngine {
  /** netemAvailable's answer, once asked. */
  private netem: Promise<boolean> | undefined;

  constructor(private readonly docker: Docker = new Docker()) {}

  /** The engine a Docker context names (engines.ts). */
  static connect(address: EngineAddress): DockerRuntime {
    return new DockerRuntime(new Docker(dockerOptions(address.connection)));
  }

  /** The swarm as this engine sees it; a manager also gives its worker join token. */
  async swarmState(): Promise<SwarmState> {
    const info = (await this.call("read the engine's swarm state", (abortSignal) =>
      (this.docker.info as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal }),
    )) as {
      Swarm?: {
        NodeID?: string;
        NodeAddr?: string;
        LocalNodeState?: string;
        ControlAvailable?: boolean;
        Cluster?: { ID?: string };
      };
    };
    const swarm = info.Swarm ?? {};
    const manager = swarm.LocalNodeState === "active" && swarm.ControlAvailable === true;
    const inspected = manager
      ? ((await this.call("inspect the swarm", () => this.docker.swarmInspect(), { ignoreStatus: [503] })) as
          { JoinTokens?: { Worker?: string } } | undefined)
      : undefined;
    const workerToken = inspected?.JoinTokens?.Worker;
    return {
      state: swarm.LocalNodeState || "inactive",
      nodeId: swarm.NodeID ?? "",
      clusterId: swarm.Cluster?.ID ?? "",
      manager,
      nodeAddr: swarm.NodeAddr ?? "",
      ...(workerToken ? { workerToken } : {}),
    };
  }

  /**
   * The lab's network when it spans engines: an overlay, attachable so plain containers (not
   * services) on every node join it by name, made on a manager; each node sees it once one of
   * its containers joins.
   */
  async createOverlayNetwork(name: string, labels: Labels): Promise<void> {
    await this.call(`create overlay network ${name}`, (abortSignal) =>
      this.docker.createNetwork({
        Name: name,
        Driver: "overlay",
        Attachable: true,
        Labels: labels,
        CheckDuplicate: true,
        abortSignal,
      }),
    );
  }

  async ping(): Promise<void> {
    // dockerode takes options on ping too; its types do not say so.
    const ping = this.docker.ping.bind(this.docker) as unknown as (options: {
      abortSignal: AbortSignal;
    }) => Promise<unknown>;
    await this.call("ping the engine", (abortSignal) => ping({ abortSignal }), { timeoutMs: PING_TIMEOUT_MS });
  }

  /** Builds the reference peer image when it is missing or stale (see peer-image.ts). */
  async ensurePeerImage(progress: ImageBuildProgress): Promise<string> {
    return ensurePeerImage(this, { ...this.baseOptions(progress), tag: referencePeerImage(), root: packageRoot() });
  }

  /** Builds a topology's `build:` image when it is missing or stale (see built-image.ts). */
  async ensureBuiltImage(build: BuildContext, progress: ImageBuildProgress): Promise<string> {
    return ensureBuiltImage(this, build, this.baseOptions(progress));
  }

  /** The base the peer image is built on, pulled or built first when it is missing; returns its name. */
  async chooseBaseImage(progress: ImageBuildProgress = () => {}): Promise<string> {
    return (await ensureBaseImage(this, this.baseOptions(progress))).name;
  }

  /** This host's stand-in builder, and the base the user named (compose passes an empty one). */
  private baseOptions(progress: ImageBuildProgress): BaseImageOptions {
    return {
      standIn: new StandInScript(thisHost(packageRoot())),
      chosen: process.env.P2PLAB_BASE_IMAGE || undefined,
      progress,
    };
  }

  async inspectImage(name: string): Promise<LocalImage | undefined> {
    const info = await this.call(`inspect image ${name}`, () => this.docker.getImage(name).inspect(), {
      ignoreStatus: [404],
    });
    return info ? { id: info.Id, labels: info.Config?.Labels ?? {} } : undefined;
  }

  async pullImage(name: string, progress: ImageBuildProgress): Promise<string | undefined> {
    // No bound, as for a build: a pull legitimately takes minutes, and the engine's own dial
    // timeout ends one that cannot reach its registry.
    const pulled = await this.call(
      `pull ${name}`,
      () =>
        this.docker.pull(name).then(
          (stream: NodeJS.ReadableStream) => ({ stream }),
          (error: EngineError) => {
            // The engine answered and the registry did not: why is the answer. No engine at all is call()'s to explain.
            if (error.statusCode === undefined) throw error;
            return { failed: engineMessage(error) };
          },
        ),
      { timeoutMs: null },
    );
    if ("failed" in pulled) return pulled.failed;
    return this.followProgress(pulled.stream, (event) => {
      if (event.status && /^(Pulling from|Pull complete|Digest|Status)/.test(event.status))
        progress(`${event.id ? `${event.id}: ` : ""}${event.status}`);
    });
  }

  async buildImage(build: ImageBuild, progress: ImageBuildProgress): Promise<BuildFailure | undefined> {
    // No bound: a build takes minutes, and its progress shows that it moves; a hung engine has
    // already failed the image inspects before it.
    const stream = await this.call(
      `build ${build.tag}`,
      () =>
        // The context packed here, not by dockerode: it drops what .dockerignore names, the
        // Dockerfile included, where docker build always sends it (built-image.ts chose the
        // files). A copy of the list: tar-fs empties the one it is given.
        this.docker.buildImage(pack(build.root, { entries: [...build.files] }), {
          t: build.tag,
          ...(build.dockerfile ? { dockerfile: build.dockerfile } : {}),
          buildargs: build.buildArgs,
          labels: build.labels,
          rm: true,
          forcerm: true,
        }),
      { timeoutMs: null },
    );
    const steps = new BuildSteps(progress);
    const error = await this.followProgress(stream, (event) => steps.read(event.stream ?? ""));
    return error === undefined ? undefined : steps.failure(error);
  }

  async removeImage(id: string): Promise<string | undefined> {
    return this.call(
      `remove image ${id}`,
      (abortSignal) =>
        this.docker
          .getImage(id)
          .remove({ abortSignal })
          .then(
            () => undefined,
            (error: EngineError) => {
              // A conflict: a container (or another tag, or a child image) still uses it.
              if (error.statusCode === 409) return engineMessage(error);
              throw error;
            },
          ),
      { ignoreStatus: [404] },
    );
  }

  async imageId(tag: string): Promise<string | undefined> {
    return (await this.inspectImage(tag))?.id;
  }

  async saveImage(tag: string): Promise<Readable> {
    // Bounded until the engine starts sending; the archive itself takes seconds per hundred MB.
    const archive = await this.call(`save image ${tag}`, () =>
      this.docker
        .getImage(tag)
        .get()
        .catch((error: EngineError) => {
          if (error.statusCode === 404) throw new ImageNotFoundError(tag);
          throw error;
        }),
    );
    return archive as Readable;
  }

  async loadImage(archive: Readable): Promise<void> {
    // No bound, as for a build: the engine answers once it has read the whole archive.
    const response = await this.call("load an image", () => this.docker.loadImage(archive, { quiet: true }), {
      timeoutMs: null,
    });
    const error = await this.followProgress(response, () => {});
    if (error !== undefined) throw new EnvironmentError(`the engine refused the image archive: ${error}`);
  }

  async engineTime(): Promise<string> {
    const info = (await this.call("read the engine's clock", () => this.docker.info(), {
      timeoutMs: PING_TIMEOUT_MS,
    })) as { SystemTime: string };
    return info.SystemTime;
  }

  /** Follows a build or pull stream to its end: undefined when it went through, else its error. */
  private followProgress(
    stream: NodeJS.ReadableStream,
    onEvent: (event: ProgressEvent) => void,
  ): Promise<string | undefined> {
    return new Promise((resolve) => {
      let error: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (streamError: Error | null) => resolve(streamError ? `the stream broke: ${streamError.message}` : error),
        (event: ProgressEvent) => {
          if (event.error) error = event.error.trim();
          onEvent(event);
        },
      );
    });
  }

  async createNetwork(name: string, labels: Labels): Promise<void> {
    await this.call(`create network ${name}`, (abortSignal) =>
      this.docker.createNetwork({ Name: name, Driver: "bridge", Labels: labels, CheckDuplicate: true, abortSignal }),
    );
  }

  async removeNetwork(id: string): Promise<void> {
    await this.call(`remove network ${id}`, (abortSignal) => this.docker.getNetwork(id).remove({ abortSignal }), {
      ignoreStatus: [404],
    });
  }

  async listNetworks(labels: Labels): Promise<NetworkInfo[]> {
    const networks = await this.call("list networks", (abortSignal) =>
      this.docker.listNetworks({ filters: { label: labelFilter(labels) }, abortSignal }),
    );
    return networks.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  async networkEndpoints(id: string): Promise<NetworkEndpoint[]> {
    // dockerode's network inspect takes no abort signal: the call's bound still answers for it.
    const network = await this.call(`inspect network ${id}`, () => this.docker.getNetwork(id).inspect(), {
      ignoreStatus: [404],
    });
    return Object.entries(network?.Containers ?? {}).map(([key, endpoint]) => ({ id: key, name: endpoint.Name ?? "" }));
  }

  async forceDisconnect(networkId: string, endpointName: string): Promise<void> {
    // By name: the engine finds a stale endpoint by its name, not by the id of a container it no longer has.
    await this.call(
      `disconnect ${endpointName} from network ${networkId}`,
      (abortSignal) =>
        this.docker.getNetwork(networkId).disconnect({ Container: endpointName, Force: true, abortSignal }),
      { ignoreStatus: [404] },
    );
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const network = spec.network ?? "none";
    const container = await this.call(`create container ${spec.name}`, (abortSignal) =>
      this.docker
        .createContainer({
          name: spec.name,
          Image: spec.image,
          ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
          Cmd: spec.cmd,
          Labels: spec.labels,
          Hostname: spec.hostname,
          Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
          OpenStdin: true,
          StdinOnce: false,
          Tty: false,
          HostConfig: {
            NetworkMode: network,
            ...(spec.init ? { Init: true } : {}),
            // Swap equal to memory: the limit is what the container may use, not a trigger for swapping.
            ...(spec.limits
              ? { Memory: spec.limits.memoryBytes, MemorySwap: spec.limits.memoryBytes, PidsLimit: spec.limits.pids }
              : {}),
            ...(spec.logFiles
              ? {
                  LogConfig: {
                    Type: "json-file",
                    Config: { "max-size": spec.logFiles.maxSize, "max-file": String(spec.logFiles.maxFiles) },
                  },
                }
              : {}),
          },
          NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: spec.aliases } } },
          abortSignal,
        })
        .catch((error: unknown) => {
          const { statusCode, json } = error as EngineError;
          if (statusCode === 409) throw new NameInUseError(spec.name);
          if (statusCode === 404 && /no such image/i.test(json?.message ?? ""))
            throw new ImageNotFoundError(spec.image);
          throw error;
        }),
    );
    return container.id;
  }

  async start(id: string): Promise<void> {
    await this.call(`start ${id}`, (abortSignal) => this.docker.getContainer(id).start({ abortSignal }), {
      ignoreStatus: [304],
    });
  }

  async kill(id: string, signal: Signal): Promise<void> {
    await this.call(`send ${signal} to ${id}`, (abortSignal) =>
      this.docker.getContainer(id).kill({ signal, abortSignal }),
    );
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    // The engine waits out the grace period before it answers.
    await this.call(
      `stop ${id}`,
      (abortSignal) => this.docker.getContainer(id).stop({ t: graceSeconds, abortSignal }),
      {
        ignoreStatus: [304],
        timeoutMs: graceSeconds * 1000 + CALL_TIMEOUT_MS,
      },
    );
  }

  async restart(id: string, graceSeconds: number): Promise<void> {
    await this.call(
      `restart ${id}`,
      (abortSignal) => this.docker.getContainer(id).restart({ t: graceSeconds, abortSignal }),
      {
        timeoutMs: graceSeconds * 1000 + CALL_TIMEOUT_MS,
      },
    );
  }

  async pause(id: string): Promise<void> {
    await this.call(`pause ${id}`, (abortSignal) => this.docker.getContainer(id).pause({ abortSignal }));
  }

  async unpause(id: string): Promise<void> {
    await this.call(`unpause ${id}`, (abortSignal) => this.docker.getContainer(id).unpause({ abortSignal }));
  }

  async remove(id: string): Promise<void> {
    await this.call(
      `remove ${id}`,
      (abortSignal) => this.docker.getContainer(id).remove({ force: true, v: true, abortSignal }),
      { ignoreStatus: [404] },
    );
  }

  async inspect(id: string): Promise<ContainerInfo> {
    const info = await this.call(`inspect ${id}`, (abortSignal) =>
      this.docker.getContainer(id).inspect({ abortSignal }),
    );
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ""),
      labels: info.Config.Labels ?? {},
      state: info.State.Status as ContainerState,
      exitCode: info.State.ExitCode,
      createdAt: info.Created,
      startedAt: zeroTimeAsEmpty(info.State.StartedAt),
      finishedAt: zeroTimeAsEmpty(info.State.FinishedAt),
      ...addressOf(info.NetworkSettings?.Networks),
    };
  }

  async listContainers(labels: Labels): Promise<ContainerInfo[]> {
    const found = await this.listContainerSummaries(labels);
    const infos = await Promise.all(
      found.map((c) =>
        this.inspect(c.id).catch((error: unknown) => {
          // Removed between the list and the inspect: it is no longer part of the lab.
          if (error instanceof LabError && /no such container/i.test(error.message)) return undefined;
          throw error;
        }),
      ),
    );
    return infos.filter((info): info is ContainerInfo => info !== undefined);
  }

  async listContainerSummaries(labels: Labels): Promise<ContainerSummary[]> {
    const found = await this.call("list containers", (abortSignal) =>
      this.docker.listContainers({ all: true, filters: { label: labelFilter(labels) }, abortSignal }),
    );
    // The list names a container with a leading slash, as inspect does; its State is inspect's State.Status.
    return found.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? "").replace(/^\//, ""),
      labels: c.Labels ?? {},
      state: c.State as ContainerState,
    }));
  }

  async readTcpTables(id: string, helperLabels: Labels): Promise<TcpTables> {
    const exec = await this.tcpTablesOr("exec", () => this.catInContainer(id));
    if (exec.text !== undefined) return { text: exec.text, via: "exec" };
    const helper = await this.tcpTablesOr("helper", () => this.catInHelper(id, helperLabels));
    if (helper.text !== undefined) return { text: helper.text, via: "helper" };
    throw new TcpTablesUnreadableError(id, { exec: exec.problem!, helper: helper.problem! });
  }

  /**
   * The tables as one way of reading them gave them, or why it could not. A missing table file
   * (tcp6 on a host without IPv6) makes `cat` fail after printing the other: a header is enough.
   * An engine that is gone or hung is no reason to try the other way: that error goes up.
   */
  private async tcpTablesOr(
    way: "exec" | "helper",
    cat: () => Promise<CommandOutput>,
  ): Promise<{ text?: string; problem?: string }> {
    try {
      const output = await cat();
      if (TCP_TABLE_HEADER.test(output.stdout)) return { text: output.stdout };
      const said = `${output.stderr}\n${output.stdout}`.trim().split("\n").at(-1)!.trim();
      return {
        problem: `${way === "exec" ? "cat" : "the helper"} exited with ${output.exitCode}${said ? `: ${said}` : ""}`,
      };
    } catch (error) {
      if (error instanceof EnvironmentError || !(error instanceof LabError)) throw error;
      return { problem: error.message };
    }
  }

  /** `cat` of the tables run in the container itself (docker exec): fails in a paused container, or an image without cat. */
  private catInContainer(id: string): Promise<CommandOutput> {
    return this.call(`run cat in ${shortId(id)}`, async (abortSignal) => {
      const exec = await this.docker
        .getContainer(id)
        .exec({ Cmd: ["cat", ...TCP_TABLE_FILES], AttachStdout: true, AttachStderr: true, abortSignal });
      const stream = await exec.start({ hijack: true, stdin: false, abortSignal });
      const output = await this.demuxed(stream, abortSignal);
      const { ExitCode } = await exec.inspect({ abortSignal });
      return { ...output, exitCode: ExitCode ?? -1 };
    });
  }

  /**
   * `cat` of the tables run in a helper that joins the container's network namespace: /proc/net
   * shows the namespace of the process reading it, so this reads the container's sockets whatever
   * its image has, and while it is paused.
   */
  private catInHelper(id: string, labels: Labels): Promise<CommandOutput> {
    return this.runHelper(
      `the network of ${shortId(id)}`,
      { networkMode: `container:${id}`, command: ["cat", ...TCP_TABLE_FILES] },
      labels,
    );
  }

  async applyNetworkRules(id: string, rules: NetworkRules, helperLabels: Labels): Promise<AppliedRules> {
    const info = await this.inspect(id);
    if (info.state !== "running" && info.state !== "paused") throw new NoNetworkNamespaceError(info.name, info.state);
    if (info.address === undefined)
      throw new EnvironmentError(
        `${info.name} has no address on a network: network rules have no traffic to act on`,
        "connect it to the lab's network",
      );
    const script = networkScript(rules, info.address);
    const output = await this.runHelper(
      `the network of ${shortId(id)}`,
      { networkMode: `container:${id}`, command: ["sh", "-c", script], netAdmin: true },
      helperLabels,
    );
    if (output.exitCode !== 0)
      throw networkRulesFailed(info.name, output.exitCode, output.stderr, referencePeerImage());
    return parseListing(output.stdout);
  }

  /** Read from this host's /proc when the engine is on it (a unix socket). */
  async neighbourTableLimit(): Promise<number | undefined> {
    if (!(this.docker.modem as unknown as { socketPath?: string }).socketPath) return undefined;
    const text = await readFile("/proc/sys/net/ipv4/neigh/default/gc_thresh3", "utf8").catch(() => undefined);
    const limit = Number(text);
    return text !== undefined && Number.isInteger(limit) && limit > 0 ? limit : undefined;
  }

  /** Asked once per runtime: the kernel does not change under it. */
  netemAvailable(helperLabels: Labels): Promise<boolean> {
    this.netem ??= this.runHelper(
      "a network of its own",
      {
        networkMode: "none",
        command: ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
        netAdmin: true,
      },
      helperLabels,
    ).then(
      (output) => output.exitCode === 0,
      (error: unknown) => {
        // An engine that failed to answer says nothing of the kernel: ask again next time.
        this.netem = undefined;
        throw error;
      },
    );
    return this.netem;
  }

  /**
   * Runs one command in a short-lived container of the peer image (it has cat, iptables and
   * iproute2) in `networkMode`, and removes it. Labelled as asked, so a helper left behind by a
   * crash is removed with its lab. With `netAdmin`, it runs as root with NET_ADMIN: the image's
   * own user could not use the capability, and the capability is the helper's alone, never the
   * peer's whose namespace it joins.
   */
  private async runHelper(
    where: string,
    helper: { networkMode: string; command: string[]; netAdmin?: boolean },
    labels: Labels,
  ): Promise<CommandOutput> {
    const [entrypoint, ...cmd] = helper.command;
    const container = await this.call(`create a helper container in ${where}`, (abortSignal) =>
      this.docker
        .createContainer({
          Image: referencePeerImage(),
          Entrypoint: [entrypoint!],
          Cmd: cmd,
          Labels: labels,
          Tty: false,
          ...(helper.netAdmin ? { User: "0" } : {}),
          HostConfig: { NetworkMode: helper.networkMode, ...(helper.netAdmin ? { CapAdd: ["NET_ADMIN"] } : {}) },
          abortSignal,
        })
        .catch((error: unknown) => {
          const { statusCode, json } = error as EngineError;
          if (statusCode === 404 && /no such image/i.test(json?.message ?? ""))
            throw new ImageNotFoundError(referencePeerImage());
          throw error;
        }),
    );
    try {
      return await this.call(`run a helper container in ${where}`, async (abortSignal) => {
        const stream = await container.attach({ stream: true, stdout: true, stderr: true, abortSignal });
        const output = this.demuxed(stream, abortSignal);
        await container.start({ abortSignal });
        const [printed, ended] = await Promise.all([output, container.wait({ abortSignal })]);
        return { ...printed, exitCode: (ended as { StatusCode: number }).StatusCode };
      });
    } finally {
      await this.remove(container.id);
    }
  }

  /** A multiplexed exec or attach stream read to its end; aborting the signal destroys it. */
  private demuxed(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<Omit<CommandOutput, "exitCode">> {
    const [stdout, stderr] = [new PassThrough(), new PassThrough()];
    const collected = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    stdout.on("data", (chunk: Buffer) => collected.stdout.push(chunk));
    stderr.on("data", (chunk: Buffer) => collected.stderr.push(chunk));
    this.docker.modem.demuxStream(stream, stdout, stderr);
    const destroy = (): void => void (stream as unknown as { destroy(): void }).destroy();
    return new Promise((resolve, reject) => {
      if (signal.aborted) return destroy();
      signal.addEventListener("abort", destroy, { once: true });
      const done = (): void => {
        signal.removeEventListener("abort", destroy);
        resolve({
          stdout: Buffer.concat(collected.stdout).toString("utf8"),
          stderr: Buffer.concat(collected.stderr).toString("utf8"),
        });
      };
      stream.once("end", done);
      stream.once("close", done);
      stream.once("error", (error: Error) => {
        signal.removeEventListener("abort", destroy);
        reject(error);
      });
    });
  }

  async writeLine(id: string, line: string): Promise<void> {
    const stream = (await this.call(`attach to ${id}`, (abortSignal) =>
      this.docker.getContainer(id).attach({ stream: true, stdin: true, hijack: true, abortSignal }),
    )) as NodeJS.ReadWriteStream & { destroy(): void };
    await new Promise<void>((resolve, reject) => {
      stream.write(`${line}\n`, (error) => (error ? reject(this.explain(`write to ${id}`, error)) : resolve()));
    });
    // The container keeps its stdin (StdinOnce is off): closing our attachment is not an EOF for the peer.
    stream.destroy();
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    const container = this.docker.getContainer(id);
    const decoder = new MultiplexDecoder();
    if (!options.follow) {
      const buffer = await this.call(`read logs of ${id}`, () =>
        container.logs({ follow: false, stdout: true, stderr: true, timestamps: true }),
      );
      yield* decoder.push(buffer as unknown as Buffer);
      yield* decoder.flush();
      return;
    }
    const stream = await this.call(`follow logs of ${id}`, () =>
      container.logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        ...(options.newOnly ? { tail: 0 } : {}),
      }),
    );
    const abort = (): void => (stream as unknown as { destroy(): void }).destroy();
    // The signal may have fired while the request was in flight.
    if (options.signal?.aborted) return abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield* decoder.push(chunk);
      yield* decoder.flush();
    } catch (error) {
      if (!options.signal?.aborted) throw this.explain(`follow logs of ${id}`, error);
    } finally {
      options.signal?.removeEventListener("abort", abort);
      abort();
    }
  }

  async *containerEvents(labels: Labels, options: ContainerEventOptions): AsyncIterable<ContainerEvent> {
    const stream = (await this.call("read the engine's container events", () =>
      this.docker.getEvents({
        since: unixSeconds(options.since),
        ...(options.until ? { until: unixSeconds(options.until) } : {}),
        filters: { type: ["container"], event: [...CONTAINER_CHANGES], label: labelFilter(labels) },
      }),
    )) as NodeJS.ReadableStream & { destroy(): void };
    const abort = (): void => stream.destroy();
    if (options.signal?.aborted) return abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    // A character may be split across chunks: decode the stream, not each chunk.
    const decoder = new StringDecoder("utf8");
    let pending = "";
    try {
      for await (const chunk of stream) {
        const lines = (pending + decoder.write(chunk as Buffer)).split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          const event = containerEvent(line);
          if (event) yield event;
        }
      }
      const last = containerEvent(pending + decoder.end());
      if (last) yield last;
    } catch (error) {
      if (!options.signal?.aborted) throw this.explain("follow the engine's container events", error);
    } finally {
      options.signal?.removeEventListener("abort", abort);
      abort();
    }
  }

  /**
   * Runs one engine call within its time bound; maps "no engine" and "engine hung" to
   * EnvironmentError and adds what was being done. The bound covers the call up to its answer:
   * a stream it returns (a log follow) is not bounded. The abort signal frees the socket where
   * dockerode takes one; the race ends the wait where it does not.
   */
  private async call<T>(
    what: string,
    run: (abortSignal: AbortSignal) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    const { ignoreStatus = [], timeoutMs = CALL_TIMEOUT_MS } = options;
    const timeout = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      if (timeoutMs === null) return;
      timer = setTimeout(() => {
        timeout.abort();
        reject(this.noAnswer(what, timeoutMs));
      }, timeoutMs);
    });
    try {
      return await Promise.race([run(timeout.signal), expired]);
    } catch (error) {
      if (timeout.signal.aborted) throw this.noAnswer(what, timeoutMs!);
      if (error instanceof LabError) throw error;
      if (ignoreStatus.includes((error as EngineError).statusCode ?? 0)) return undefined as T;
      throw this.explain(what, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private noAnswer(what: string, timeoutMs: number): EnvironmentError {
    const modem = this.docker.modem as unknown as {
      socketPath?: string;
      protocol?: string;
      host?: string;
      port?: number;
    };
    const address = modem.socketPath ? `unix://${modem.socketPath}` : `${modem.protocol}://${modem.host}:${modem.port}`;
    return new EnvironmentError(
      `the Docker engine at ${address} did not answer within ${formatDuration(timeoutMs)} (${what})`,
      "it is hung or overloaded: check it with `docker info`, restart it (`sudo systemctl restart docker`), or point DOCKER_HOST at an engine that answers",
    );
  }

  private explain(what: string, error: unknown): Error {
    const e = error as EngineError;
    if (e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "EACCES" || e.code === "EPERM") {
      // docker-modem may hold the socket path as a function that resolves it: the error has the path.
      const modem = this.docker.modem as unknown as { socketPath?: unknown; host?: string; port?: number };
      const where = modem.host ? `${modem.host}:${modem.port}` : (e.address ?? String(modem.socketPath));
      return new EnvironmentError(
        `no Docker engine answers at ${where} (${e.code})`,
        e.code === "EACCES"
          ? "add yourself to the docker group, or run as root (under docker compose: set P2PLAB_DOCKER_GID to the socket's group, see README)"
          : "start the engine (scripts/ensure-docker.sh, or `sudo systemctl start docker`), or point DOCKER_HOST at one",
      );
    }
    // A 404 too: what the runtime is asked for by id was found a moment before (a container removed
    // under us is a race); the one thing input names, an image, is ImageNotFoundError.
    const detail = (e.json?.message ?? e.message ?? String(error)).trim();
    return new LabError(`${what}: ${detail.replace(/^\(HTTP code \d+\)\s*/, "")}`, EXIT.environment);
  }
}

/** dockerode's options for an engine: none for the default (DOCKER_HOST or the local socket, as before engines). */
function dockerOptions(connection: EngineConnection): Docker.DockerOptions {
  switch (connection.kind) {
    case "default":
      return {};
    case "socket":
      return { socketPath: connection.socketPath };
    case "tcp": {
      const { tls } = connection;
      if (!tls) return { protocol: "http", host: connection.host, port: connection.port };
      return {
        protocol: "https",
        host: connection.host,
        port: connection.port,
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        // SkipTLSVerify: the context asked not to check the engine's certificate (docker-modem takes no such option; its agent does).
        ...(tls.skipVerify
          ? { agent: new HttpsAgent({ rejectUnauthorized: false, ca: tls.ca, cert: tls.cert, key: tls.key }) }
          : {}),
      };
    }
    case "ssh":
      // docker-modem runs `docker system dial-stdio` on the host over ssh2, with the ssh agent's keys.
      return {
        protocol: "ssh",
        host: connection.host,
        port: connection.port,
        ...(connection.username ? { username: connection.username } : {}),
        sshOptions: { agent: process.env.SSH_AUTH_SOCK },
      } as Docker.DockerOptions;
  }
}

function labelFilter(labels: Labels): string[] {
  return Object.entries(labels).map(([key, value]) => (value === "" ? key : `${key}=${value}`));
}

/** The engine takes times as Unix seconds with a fraction. */
function unixSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

/** One line of the engine's event stream, when it is a container change. */
function containerEvent(line: string): ContainerEvent | undefined {
  if (line.trim() === "") return undefined;
  const raw = JSON.parse(line) as {
    Action?: string;
    Actor?: { ID?: string; Attributes?: Record<string, string> };
    timeNano?: number;
  };
  const change = raw.Action as ContainerChange;
  if (!CONTAINER_CHANGES.includes(change) || !raw.Actor?.ID || raw.timeNano === undefined) return undefined;
  const exitCode = Number(raw.Actor.Attributes?.exitCode);
  return {
    ts: new Date(Math.floor(raw.timeNano / 1e6)).toISOString(),
    id: raw.Actor.ID,
    change,
    ...(change === "die" && Number.isInteger(exitCode) ? { exitCode } : {}),
  };
}

/** A lab container joins one network: its address there (IPv4, else IPv6); none when it is stopped or on no network. */
function addressOf(networks: Record<string, { IPAddress?: string; GlobalIPv6Address?: string }> | undefined): {
  address?: string;
} {
  for (const network of Object.values(networks ?? {})) {
    const address = network.IPAddress || network.GlobalIPv6Address;
    if (address) return { address };
  }
  return {};
}

/** The 12 characters `docker ps` shows of an id. */
function shortId(id: string): string {
  return id.slice(0, 12);
}

function zeroTimeAsEmpty(time: string): string {
  return time.startsWith("0001-") ? "" : time;
}
