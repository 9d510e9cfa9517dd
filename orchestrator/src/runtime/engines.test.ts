import { createHash } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { chooseEngines, connectionOf, contextNames, resolveEngine } from "./engines.js";

/** Writes a context as `docker context create` does: meta.json under the SHA-256 of its name, TLS beside it. */
async function addContext(
  config: string,
  name: string,
  host: string,
  options: { skipVerify?: boolean; tls?: Record<string, string> } = {},
): Promise<void> {
  const key = createHash("sha256").update(name).digest("hex");
  await mkdir(join(config, "contexts", "meta", key), { recursive: true });
  await writeFile(
    join(config, "contexts", "meta", key, "meta.json"),
    JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: { docker: { Host: host, SkipTLSVerify: options.skipVerify ?? false } },
    }),
  );
  if (options.tls) {
    const dir = join(config, "contexts", "tls", key, "docker");
    await mkdir(dir, { recursive: true });
    for (const [file, text] of Object.entries(options.tls)) await writeFile(join(dir, file), text);
  }
}

describe("engines from Docker contexts", () => {
  let env: NodeJS.ProcessEnv;
  let config: string;

  beforeEach(async () => {
    config = await mkdtemp(join(tmpdir(), "p2plab-contexts-"));
    env = { DOCKER_CONFIG: config };
  });

  it("default is dockerode's own defaults, shown as DOCKER_HOST or the local socket", async () => {
    expect(await resolveEngine("default", env)).toEqual({
      name: "default",
      endpoint: "unix:///var/run/docker.sock",
      connection: { kind: "default" },
    });
    expect((await resolveEngine("default", { ...env, DOCKER_HOST: "tcp://10.0.0.1:2375" })).endpoint).toBe(
      "tcp://10.0.0.1:2375",
    );
  });

  it("a unix-socket context from the store under DOCKER_CONFIG", async () => {
    await addContext(config, "sbx-1", "unix:///run/p2plab-sbx-1/docker.sock");
    expect(await resolveEngine("sbx-1", env)).toEqual({
      name: "sbx-1",
      endpoint: "unix:///run/p2plab-sbx-1/docker.sock",
      connection: { kind: "socket", socketPath: "/run/p2plab-sbx-1/docker.sock" },
    });
  });

  it("a tcp context with its TLS material and SkipTLSVerify", async () => {
    await addContext(config, "far", "tcp://far.example:2376", {
      skipVerify: true,
      tls: { "ca.pem": "CA", "cert.pem": "CERT", "key.pem": "KEY" },
    });
    expect((await resolveEngine("far", env)).connection).toEqual({
      kind: "tcp",
      host: "far.example",
      port: 2376,
      tls: { ca: Buffer.from("CA"), cert: Buffer.from("CERT"), key: Buffer.from("KEY"), skipVerify: true },
    });
  });

  it("tcp without TLS on the plain port; ssh with its user", () => {
    expect(connectionOf("a", "tcp://10.0.0.2")).toEqual({ kind: "tcp", host: "10.0.0.2", port: 2375 });
    expect(connectionOf("b", "ssh://ana@box.example")).toEqual({
      kind: "ssh",
      host: "box.example",
      port: 22,
      username: "ana",
    });
  });

  it("an unsupported scheme names the ones lab supports", () => {
    expect(() => connectionOf("pipe", "npipe:////./pipe/docker_engine")).toThrow(/npipe.*not support/);
  });

  it("an unknown context lists the contexts there are, with a suggestion", async () => {
    await addContext(config, "p2plab-sbx-1", "unix:///tmp/a.sock");
    await addContext(config, "p2plab-sbx-2", "unix:///tmp/b.sock");
    expect(await contextNames(env)).toEqual(["default", "p2plab-sbx-1", "p2plab-sbx-2"]);
    const error = await resolveEngine("p2plab-sbx-3", env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      'no Docker context named "p2plab-sbx-3" (contexts: default, p2plab-sbx-1, p2plab-sbx-2)',
    );
    expect((error as InputError).hint).toMatch(/p2plab-sbx-1|docker context ls/);
    const far = await resolveEngine("zzz", env).catch((e: unknown) => e);
    expect((far as InputError).hint).toMatch(/docker context ls/);
  });
});

describe("which engines", () => {
  it("the flag wins over the environment, which wins over the topology", () => {
    expect(chooseEngines("a,b", { P2PLAB_ENGINES: "c" }, ["d"])).toEqual(["a", "b"]);
    expect(chooseEngines(undefined, { P2PLAB_ENGINES: "c, e" }, ["d"])).toEqual(["c", "e"]);
    expect(chooseEngines(undefined, {}, ["d", "f"])).toEqual(["d", "f"]);
  });

  it("none named: undefined, the default engine as before", () => {
    expect(chooseEngines(undefined, {}, undefined)).toBeUndefined();
    expect(chooseEngines(undefined, { P2PLAB_ENGINES: "" }, [])).toBeUndefined();
  });

  it("each name once, blanks dropped; a list of nothing is refused", () => {
    expect(chooseEngines("a,,b,a", {})).toEqual(["a", "b"]);
    expect(() => chooseEngines(" , ", {})).toThrow(InputError);
  });
});
