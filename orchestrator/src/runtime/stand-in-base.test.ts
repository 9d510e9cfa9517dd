import { chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { STAND_IN_SCRIPT, StandInScript, type HostFacts } from "./stand-in-base.js";

/** A package root with the given script body, and a bin directory holding the given tools. */
async function host(tools: string[], script = "exit 0\n"): Promise<HostFacts> {
  const root = await mkdtemp(join(tmpdir(), "p2plab-stand-in-"));
  await mkdir(join(root, "scripts"));
  await writeFile(join(root, STAND_IN_SCRIPT), script);
  const bin = join(root, "bin");
  await mkdir(bin);
  for (const tool of tools) {
    await writeFile(join(bin, tool), "#!/bin/sh\n");
    await chmod(join(bin, tool), 0o755);
  }
  return { root, platform: "linux", uid: 0, path: bin };
}

const TOOLS = ["debootstrap", "npm", "docker"];

describe("whether this host can build the stand-in base", () => {
  it("root on Linux with debootstrap (or apt-get to install it), npm and docker: it can", async () => {
    expect(new StandInScript(await host(TOOLS)).problem()).toBeUndefined();
    expect(new StandInScript(await host(["apt-get", "npm", "docker"])).problem()).toBeUndefined();
  });

  it("each missing condition is named", async () => {
    const facts = await host(TOOLS);
    expect(new StandInScript({ ...facts, uid: 1000 }).problem()).toBe(
      "it needs root (debootstrap builds a Debian file system)",
    );
    expect(new StandInScript({ ...facts, platform: "darwin" }).problem()).toBe("it needs Linux");
    expect(new StandInScript({ ...facts, root: join(facts.root, "elsewhere") }).problem()).toBe(
      `${STAND_IN_SCRIPT} is not part of this installation`,
    );
    expect(new StandInScript(await host(["npm", "docker"])).problem()).toBe(
      "neither debootstrap nor apt-get is installed",
    );
    expect(new StandInScript(await host(["debootstrap", "docker"])).problem()).toBe("npm is not installed");
    expect(new StandInScript(await host(["debootstrap", "npm"])).problem()).toBe("docker is not installed");
  });
});

describe("building the stand-in base with the script", () => {
  let progress: string[];
  beforeEach(() => {
    progress = [];
  });

  it("passes the tag, and shows the script's log lines as progress", async () => {
    const script =
      'printf "offline-base-image: building %s\\n" "$1" >&2\necho not shown\nprintf "offline-base-image: built %s\\n" "$1" >&2\n';
    await new StandInScript(await host(TOOLS, script)).build("p2plab/node-base:try", (line) => progress.push(line));
    expect(progress).toEqual([
      "offline-base-image: building p2plab/node-base:try",
      "offline-base-image: built p2plab/node-base:try",
    ]);
  });

  it("a failed script: exit 3 with its exit code and last line, and how to see the rest", async () => {
    const script =
      'echo "offline-base-image: debootstrap bookworm" >&2\necho "E: Failed getting release file" >&2\nexit 1\n';
    const attempt = new StandInScript(await host(TOOLS, script)).build("p2plab/node-base:try", (line) =>
      progress.push(line),
    );
    await expect(attempt).rejects.toMatchObject({
      message: `building the stand-in base p2plab/node-base:try failed (${STAND_IN_SCRIPT} exit 1): E: Failed getting release file`,
      hint: `run \`sudo ${STAND_IN_SCRIPT}\` to see why, or set P2PLAB_BASE_IMAGE to a Node 22 image you have`,
      exitCode: 3,
    });
    expect(progress).toEqual(["offline-base-image: debootstrap bookworm", "E: Failed getting release file"]);
  });
});
