import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { EnvironmentError } from "../errors.js";
import type { StandInBuilder } from "./peer-image.js";
import type { ImageBuildProgress } from "./runtime.js";

export const STAND_IN_SCRIPT = "scripts/offline-base-image.sh";

export interface HostFacts {
  /** The package root, where the script lives (the orchestrator image does not carry it). */
  root: string;
  platform: NodeJS.Platform;
  uid: number | undefined;
  /** $PATH, to find the tools the script runs. */
  path: string;
}

export function thisHost(root: string): HostFacts {
  return { root, platform: process.platform, uid: process.getuid?.(), path: process.env.PATH ?? "" };
}

/** The stand-in base built by scripts/offline-base-image.sh: debootstrap, Node from the npm registry, docker import. */
export class StandInScript implements StandInBuilder {
  constructor(private readonly host: HostFacts) {}

  problem(): string | undefined {
    const { root, platform, uid } = this.host;
    if (!existsSync(join(root, STAND_IN_SCRIPT))) return `${STAND_IN_SCRIPT} is not part of this installation`;
    if (platform !== "linux") return "it needs Linux";
    if (uid !== 0) return "it needs root (debootstrap builds a Debian file system)";
    if (!this.installed("debootstrap") && !this.installed("apt-get"))
      return "neither debootstrap nor apt-get is installed";
    for (const tool of ["npm", "docker"]) if (!this.installed(tool)) return `${tool} is not installed`;
    return undefined;
  }

  async build(tag: string, progress: ImageBuildProgress): Promise<void> {
    const child = spawn("bash", [join(this.host.root, STAND_IN_SCRIPT), tag], { stdio: ["ignore", "ignore", "pipe"] });
    let last = "";
    const lines = createInterface({ input: child.stderr });
    lines.on("line", (line) => {
      if (line.trim() === "") return;
      last = line;
      progress(line);
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    if (code !== 0) {
      throw new EnvironmentError(
        `building the stand-in base ${tag} failed (${STAND_IN_SCRIPT} ${signal ? `ended by ${signal}` : `exit ${code}`})${last ? `: ${last}` : ""}`,
        `run \`sudo ${STAND_IN_SCRIPT}\` to see why, or set P2PLAB_BASE_IMAGE to a Node 22 image you have`,
      );
    }
  }

  private installed(tool: string): boolean {
    return this.host.path.split(delimiter).some((dir) => {
      if (dir === "") return false;
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  }
}
