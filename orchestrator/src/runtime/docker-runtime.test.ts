import { mkdtemp } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
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

/** An engine on a unix socket that answers every request 200 with this body, once it has read the request's. */
async function engineAnswering(body: string): Promise<{ runtime: DockerRuntime; close(): void }> {
  const socketPath = join(await mkdtemp(join(tmpdir(), "p2plab-200-")), "docker.sock");
  const server = createHttpServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { runtime: new DockerRuntime(new Docker({ socketPath })), close: () => server.close() };
}

describe("images between engines, and the engine's clock", () => {
  it("saving an image the engine lacks: ImageNotFoundError", async () => {
    const engine = await engineAnswering404(() => "reference does not exist");
    try {
      await expect(engine.runtime.saveImage("ghost/peer:1")).rejects.toMatchObject({ image: "ghost/peer:1" });
      await expect(engine.runtime.saveImage("ghost/peer:1")).rejects.toThrow(ImageNotFoundError);
    } finally {
      engine.close();
    }
  });

  it("a load the engine refuses in its progress stream: an EnvironmentError quoting it", async () => {
    const engine = await engineAnswering(
      `${JSON.stringify({ errorDetail: { message: "unexpected EOF" }, error: "unexpected EOF" })}\r\n`,
    );
    try {
      await expect(engine.runtime.loadImage(Readable.from([Buffer.from("cut")]))).rejects.toMatchObject({
        message: "the engine refused the image archive: unexpected EOF",
        exitCode: 3,
      });
    } finally {
      engine.close();
    }
  });

  it("engineTime: GET /info's SystemTime, to the nanosecond", async () => {
    const engine = await engineAnswering(JSON.stringify({ SystemTime: "2026-11-26T06:48:12.615962769Z" }));
    try {
      expect(await engine.runtime.engineTime()).toBe("2026-11-26T06:48:12.615962769Z");
    } finally {
      engine.close();
    }
  });
});
