import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { didYouMean } from "../did-you-mean.js";
import { InputError } from "../errors.js";

/**
 * Engines are named as the docker CLI names them: by context (`docker context ls`). A context is
 * read from the CLI's own store, so `docker context create` is the one way to add an engine, and
 * lab and `docker --context` always mean the same engine.
 */

/** The context that is not in the store: DOCKER_HOST, or the local socket. */
export const DEFAULT_ENGINE = "default";

/** How to reach one engine; docker-runtime.ts turns it into dockerode's options. */
export type EngineConnection =
  /** dockerode's own defaults: DOCKER_HOST (with DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) or the local socket, as before engines. */
  | { kind: "default" }
  | { kind: "socket"; socketPath: string }
  | { kind: "tcp"; host: string; port: number; tls?: EngineTls }
  | { kind: "ssh"; host: string; port: number; username?: string };

export interface EngineTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The context's SkipTLSVerify: the engine's certificate is not checked. */
  skipVerify: boolean;
}

export interface EngineAddress {
  /** The context's name. */
  name: string;
  /** Its endpoint as the context store writes it (unix:///…, tcp://…, ssh://…), for messages. */
  endpoint: string;
  connection: EngineConnection;
}

const SUPPORTED = "unix://, tcp:// (with or without TLS) and ssh://";

/** The docker CLI's configuration directory: DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(homedir(), ".docker");
}

/** The store keeps a context under the SHA-256 of its name (docker/cli context/store). */
function contextKey(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

/**
 * The engine a context names, as the docker CLI resolves it. An unknown name is an InputError
 * listing the contexts there are.
 */
export async function resolveEngine(name: string, env: NodeJS.ProcessEnv = process.env): Promise<EngineAddress> {
  if (name === DEFAULT_ENGINE) {
    return { name, endpoint: env.DOCKER_HOST || "unix:///var/run/docker.sock", connection: { kind: "default" } };
  }
  const config = dockerConfigDir(env);
  const key = contextKey(name);
  const text = await readFile(join(config, "contexts", "meta", key, "meta.json"), "utf8").catch(() => undefined);
  if (text === undefined) {
    const known = await contextNames(env);
    throw new InputError(
      `no Docker context named "${name}" (contexts: ${known.join(", ")})`,
      didYouMean(name, known) ?? "see docker context ls; add one with docker context create NAME --docker host=…",
    );
  }
  let meta: ContextMeta;
  try {
    meta = JSON.parse(text) as ContextMeta;
  } catch {
    throw new InputError(`Docker context "${name}": its meta.json in ${config} is not JSON`, "see docker context ls");
  }
  const host = meta.Endpoints?.docker?.Host;
  if (!host) throw new InputError(`Docker context "${name}" has no docker endpoint`, "see docker context inspect");
  const tls = await contextTls(join(config, "contexts", "tls", key, "docker"), meta.Endpoints?.docker?.SkipTLSVerify);
  return { name, endpoint: host, connection: connectionOf(name, host, tls) };
}

/** `default` and every context in the store, sorted as `docker context ls` sorts them. */
export async function contextNames(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const dir = join(dockerConfigDir(env), "contexts", "meta");
  const keys = await readdir(dir).catch(() => [] as string[]);
  const names = await Promise.all(
    keys.map(async (key) => {
      const text = await readFile(join(dir, key, "meta.json"), "utf8").catch(() => undefined);
      try {
        return text === undefined ? undefined : (JSON.parse(text) as ContextMeta).Name;
      } catch {
        return undefined;
      }
    }),
  );
  return [DEFAULT_ENGINE, ...names.filter((n): n is string => typeof n === "string").sort()];
}

/** The context's TLS material; undefined when it has none and verifies nothing special. */
async function contextTls(dir: string, skipVerify: boolean | undefined): Promise<EngineTls | undefined> {
  const read = (file: string) => readFile(join(dir, file)).catch(() => undefined);
  const [ca, cert, key] = await Promise.all([read("ca.pem"), read("cert.pem"), read("key.pem")]);
  if (!ca && !cert && !key && !skipVerify) return undefined;
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), skipVerify: skipVerify === true };
}

/** A context's endpoint → how to reach it. */
export function connectionOf(name: string, host: string, tls?: EngineTls): EngineConnection {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new InputError(
      `Docker context "${name}": endpoint ${JSON.stringify(host)} is not a URL`,
      `lab supports ${SUPPORTED}`,
    );
  }
  switch (url.protocol) {
    case "unix:":
      return { kind: "socket", socketPath: decodeURIComponent(url.pathname) };
    case "tcp:":
    case "http:":
    case "https:": {
      const secure = tls !== undefined || url.protocol === "https:";
      const port = Number(url.port) || (secure ? 2376 : 2375);
      return { kind: "tcp", host: url.hostname, port, ...(secure ? { tls: tls ?? { skipVerify: false } } : {}) };
    }
    case "ssh:":
      return {
        kind: "ssh",
        host: url.hostname,
        port: Number(url.port) || 22,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      };
    default:
      throw new InputError(
        `Docker context "${name}": endpoint ${host} uses ${url.protocol.replace(/:$/, "")}, which lab does not support`,
        `lab supports ${SUPPORTED}`,
      );
  }
}

/**
 * The engine list a command uses: the --engines flag, else P2PLAB_ENGINES, else the topology's
 * `engines:`; undefined when none says (one engine, the default, as before). Names are split at
 * commas, blanks dropped, each kept once.
 */
export function chooseEngines(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  topology?: readonly string[],
): string[] | undefined {
  const listed = flag ?? (env.P2PLAB_ENGINES || undefined);
  if (listed !== undefined) {
    const names = [...new Set(listed.split(",").map((name) => name.trim()))].filter((name) => name !== "");
    if (names.length === 0)
      throw new InputError(`no engine named in ${JSON.stringify(listed)}`, "e.g. --engines default,other");
    return names;
  }
  return topology && topology.length > 0 ? [...topology] : undefined;
}
