import { spawn, spawnSync } from "node:child_process";

/** Compose v2 (`docker compose`) when the client has it, else v1 (`docker-compose`), else undefined. */
export function composeCommand(): string[] | undefined {
  if (spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0) return ["docker", "compose"];
  if (spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0) return ["docker-compose"];
  return undefined;
}

export function compose(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const command = composeCommand();
  if (!command)
    throw new Error("neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)");
  return new Promise((resolve) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], {
      cwd: new URL("../..", import.meta.url).pathname,
      env: { ...process.env, ...env },
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ code, output }));
  });
}
