import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { labDown } from "./lab-down.js";

const dirs: string[] = [];
afterEach(async () => Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true }))));

async function results(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "p2plab-ui-results-"));
  dirs.push(dir);
  return dir;
}

describe("what a page is told when its lab is brought down", () => {
  it("names the newest save of that lab since the server started, not another lab's nor an older one", async () => {
    const dir = await results();
    const since = Date.now();
    const old = join(dir, "chain-2026-01-01T000000.000Z");
    await mkdir(old);
    await utimes(old, new Date(since - 60_000), new Date(since - 60_000));
    await mkdir(join(dir, "chain-x-2026-11-26T070000.000Z"));
    const saved = join(dir, "chain-2026-11-26T070000.000Z-2");
    await mkdir(saved);
    expect(await labDown(dir, "chain", since)).toEqual({
      event: { message: `lab chain was brought down; its transcripts were saved to ${saved}` },
    });
    await writeFile(join(saved, "report.html"), "<!doctype html>");
    expect(await labDown(dir, "chain", since)).toEqual({
      event: {
        message: `lab chain was brought down; its transcripts were saved to ${saved}`,
        report: "/saved/report.html",
      },
      reportFile: join(saved, "report.html"),
    });
  });

  it("says where it did not find them when lab down saved them elsewhere", async () => {
    const dir = await results();
    expect((await labDown(dir, "chain", Date.now())).event.message).toBe(
      `lab chain was brought down; its transcripts are not in ${dir} (lab down --results saves them elsewhere)`,
    );
  });
});
