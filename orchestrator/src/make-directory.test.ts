import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeDirectory } from "./make-directory.js";

describe("makeDirectory", () => {
  it("makes missing parents, and accepts a directory that exists", async () => {
    const root = await mkdtemp(join(tmpdir(), "p2plab-mkdir-"));
    await makeDirectory(join(root, "a/b/c"));
    await makeDirectory(join(root, "a/b/c"));
    expect(existsSync(join(root, "a/b/c"))).toBe(true);
  });

  it("fails at once where the directory can never be made (Node's recursive mkdir hangs on /proc/nope)", async () => {
    await expect(makeDirectory("/proc/nope/transcripts")).rejects.toMatchObject({ code: "ENOENT" });
    const root = await mkdtemp(join(tmpdir(), "p2plab-mkdir-"));
    await writeFile(join(root, "file"), "");
    await expect(makeDirectory(join(root, "file/below"))).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});
