import { mkdtemp } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { lab } from "../../../test/support/lab-cli.js";
import { DockerRuntime } from "./docker-runtime.js";
import { ImageNotFoundError, type ContainerSpec } from "./runtime.js";

describe("an engine that never answers", () => {
  it("lab status exits 3 within a bounded time, naming the engine and the fix", async () => {
    const socket = join(await mkdtemp(join(tmpdir(), "p2plab-hung-")), "docker.sock");
    const held: Socket[] = [];
    // Accepts every connection and never writes a byte: a hung engine.
    const server = createServer((connection) => held.push(connection));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const started = Date.now();
      const run = await lab(["status"], { env: { DOCKER_HOST: `unix://${socket}` } });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toContain(
        `lab: the Docker engine at unix://${socket} did not answer within 10s (ping the engine)\n`,
      );
      expect(run.stderr).toMatch(/fix: .*restart it/);
    } finally {
      for (const connection of held) connection.destroy();
      server.close();
    }
  }, 25_000);
});

/** An engine on a unix socket that answers every request 404 with the engine's message for its path. */
async function engineAnswering404(
  message: (path: string) => string,
): Promise<{ runtime: DockerRuntime; close(): void }> {
  const socketPath = join(await mkdtemp(join(tmpdir(), "p2plab-404-")), "docker.sock");
  const server = createHttpServer((request, response) => {
    request.resume();
    response.writeHead(404, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ message: message(request.url!) }));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { runtime: new DockerRuntime(new Docker({ socketPath })), close: () => server.close() };
}

const spec: ContainerSpec = {
  name: "p2plab-x_a",
  image: "ghost/peer:1",
  cmd: [],
  labels: {},
  aliases: [],
  hostname: "a",
  env: {},
};

describe("an engine's 404", () => {
  it("on create, for the image: ImageNotFoundError, which the caller maps (the topology may have named it)", async () => {
    const engine = await engineAnswering404(() => "No such image: ghost/peer:1");
    try {
      const created = engine.runtime.createContainer(spec);
      await expect(created).rejects.toThrow(ImageNotFoundError);
      await expect(created).rejects.toMatchObject({ image: "ghost/peer:1", exitCode: 3 });
    } finally {
      engine.close();
    }
  });

  it("for a container or network that went away under us: the environment (exit 3), not bad input", async () => {
    const engine = await engineAnswering404((path) =>
      path.includes("/containers/create") ? "network p2plab-x not found" : "No such container: abc",
    );
    try {
      await expect(engine.runtime.kill("abc", "SIGKILL")).rejects.toMatchObject({
        message: "send SIGKILL to abc: No such container: abc",
        exitCode: 3,
      });
      await expect(engine.runtime.inspect("abc")).rejects.toMatchObject({
        message: "inspect abc: No such container: abc",
        exitCode: 3,
      });
      await expect(engine.runtime.createContainer(spec)).rejects.toMatchObject({
        message: "create container p2plab-x_a: network p2plab-x not found",
        exitCode: 3,
      });
    } finally {
      engine.close();
    }
  });
});
