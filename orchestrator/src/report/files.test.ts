import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { chainKilledBridge } from "./fixtures/chain-killed-bridge.js";
import { readReport, writeReport } from "./files.js";

/** A results directory holding this summary.json. */
async function resultsWith(summary: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "p2plab-summary-test-"));
  await writeFile(join(dir, "summary.json"), JSON.stringify(summary));
  return dir;
}

/** The summary the fixture's run wrote, edited. */
const edited = (edit: (summary: Record<string, unknown>) => void): Record<string, unknown> => {
  const summary = JSON.parse(JSON.stringify(chainKilledBridge())) as Record<string, unknown>;
  edit(summary);
  return summary;
};

describe("readReport", () => {
  it("reads back what writeReport wrote, with its version", async () => {
    const dir = await mkdtemp(join(tmpdir(), "p2plab-summary-test-"));
    await writeReport(dir, chainKilledBridge());
    expect(JSON.parse(await readFile(join(dir, "summary.json"), "utf8"))).toMatchObject({ version: 1 });
    expect(await readReport(dir)).toEqual(chainKilledBridge());
  });

  it("refuses a summary with no version (written before summaries had one), naming the file and the field", async () => {
    const dir = await resultsWith(edited((summary) => delete summary.version));
    const read = readReport(dir);
    await expect(read).rejects.toThrow(InputError);
    await expect(read).rejects.toMatchObject({
      message: `${join(dir, "summary.json")} is not a run summary this lab reads: version: missing (summaries before version 1 had none, or this is not a run summary)`,
      exitCode: 2,
    });
  });

  it("refuses another version", async () => {
    const dir = await resultsWith(edited((summary) => (summary.version = 2)));
    await expect(readReport(dir)).rejects.toMatchObject({
      message: `${join(dir, "summary.json")} is not a run summary this lab reads: version: 2, but this lab reads version 1`,
      exitCode: 2,
    });
  });

  it("names the first field that is wrong", async () => {
    const dir = await resultsWith(
      edited((summary) => {
        const [message] = summary.messages as Array<{ cells: Record<string, { class: string }> }>;
        message!.cells.bob!.class = "lost";
      }),
    );
    await expect(readReport(dir)).rejects.toMatchObject({
      message: expect.stringMatching(
        /summary\.json is not a run summary this lab reads: messages\[0\]\.cells\.bob\.class: Invalid option: expected one of "delivered"\|"late"/,
      ),
      hint: expect.stringContaining("give a directory written by lab run"),
      exitCode: 2,
    });
  });

  it("says when there is no summary to read", async () => {
    const dir = await mkdtemp(join(tmpdir(), "p2plab-summary-test-"));
    await expect(readReport(dir)).rejects.toMatchObject({
      message: `${dir} has no readable summary.json (ENOENT)`,
      exitCode: 2,
    });
  });
});

describe("writeReport's pictures", () => {
  it("writes each overlay and the sequence diagram as an SVG file of its own, styled, for a document to show", async () => {
    const dir = await mkdtemp(join(tmpdir(), "p2plab-pictures-test-"));
    const report = chainKilledBridge();
    await writeReport(dir, report);
    const files = (await readdir(join(dir, "pictures"))).sort();
    expect(files).toEqual([...report.snapshots.map((_, i) => `overlay-${i + 1}.svg`), "sequence.svg"].sort());
    for (const file of files) {
      const svg = await readFile(join(dir, "pictures", file), "utf8");
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg).toContain("<style>");
      expect(svg.trim()).toMatch(/<\/svg>$/);
    }
    const overlay = await readFile(join(dir, "pictures", "overlay-1.svg"), "utf8");
    for (const peer of report.peers) expect(overlay).toContain(`>${peer}</text>`);
  });

  it("leaves room at the sides for the longest name, so no label is cut at the picture's edge", async () => {
    const dir = await mkdtemp(join(tmpdir(), "p2plab-pictures-test-"));
    const report = chainKilledBridge();
    const long = { ...report, peers: report.peers.map((peer) => `${peer}-bridge-x`) };
    await writeReport(dir, long);
    const short = await readFile(join(dir, "pictures", "overlay-1.svg"), "utf8");
    const [, minX, width] = /viewBox="(-?\d+) 0 (\d+) 320"/.exec(short)!;
    // The rightmost label starts beside the node at x = 160 + 92 + 17 + 10 and is 8 px a character.
    const longest = Math.max(...long.peers.map((peer) => peer.length));
    expect(Number(minX) + Number(width)).toBeGreaterThanOrEqual(160 + 92 + 17 + 10 + longest * 8);
  });
});
