import { mkdtemp } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lab } from "../../../test/support/lab-cli.js";

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
      expect(run.stderr).toContain(`lab: the Docker engine at unix://${socket} did not answer within 10s (ping the engine)\n`);
      expect(run.stderr).toMatch(/fix: .*restart it/);
    } finally {
      for (const connection of held) connection.destroy();
      server.close();
    }
  }, 25_000);
});
