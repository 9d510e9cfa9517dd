import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RunReport } from "../check/run-report.js";
import { InputError } from "../errors.js";
import { writeReport } from "../report/files.js";
import type { LabRecording } from "../transcript/transcript.js";
import { checkResultsDir, saveResults } from "./results.js";

const recording: LabRecording = {
  lines: new Map([
    [
      "alice",
      [
        {
          peer: "alice",
          ts: "2026-11-25T12:00:00.000Z",
          stream: "stdout",
          text: "{}",
          event: { ts: "2026-11-25T12:00:00.000Z", peer: "alice", ev: "listening", port: 7000 },
        },
      ],
    ],
  ]),
  actions: [{ ts: "2026-11-25T12:00:00.500Z", action: "up", detail: "chain.yaml" }],
  engine: [],
  links: [],
  journal: "running",
};

const report = async (): Promise<RunReport> =>
  JSON.parse(
    await readFile(new URL("../report/fixtures/chain-killed-bridge.json", import.meta.url), "utf8"),
  ) as RunReport;

const scratch = (): Promise<string> => mkdtemp(join(tmpdir(), "p2plab-results-test-"));

afterEach(() => {
  vi.useRealTimers();
});

describe("saveResults", () => {
  it("two saves of the same lab at the same moment get two directories, and latest points to the newer", async () => {
    const results = await scratch();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-25T12:04:20.123Z"));
    const first = await saveResults(results, "chain", recording);
    const second = await saveResults(results, "chain", recording);
    expect(first).toEqual({ dir: join(results, "chain-2026-11-25T120420.123Z") });
    expect(second).toEqual({ dir: join(results, "chain-2026-11-25T120420.123Z-2") });
    expect(await readlink(join(results, "latest"))).toBe("chain-2026-11-25T120420.123Z-2");
    expect((await readdir(results)).sort()).toEqual([
      "chain-2026-11-25T120420.123Z",
      "chain-2026-11-25T120420.123Z-2",
      "latest",
    ]);
    for (const { dir } of [first, second]) expect(existsSync(join(dir, "transcripts/alice.jsonl"))).toBe(true);
  });

  it("writes a run's report beside its transcripts", async () => {
    const results = await scratch();
    const written = await report();
    const { dir } = await saveResults(results, "chain", recording, (into) => writeReport(into, written));
    for (const file of ["summary.json", "report.md", "report.html", "timeline.jsonl", "transcripts/alice.txt"]) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
  });

  it("a results directory that became unwritable: everything goes to a temporary directory, and it says why", async () => {
    const results = join(await scratch(), "results");
    await checkResultsDir(results);
    // Root writes through any permission bits: a file in the directory's place stops it.
    await rm(results, { recursive: true });
    await writeFile(results, "");
    const written = await report();
    const saved = await saveResults(results, "chain", recording, (into) => writeReport(into, written));
    expect(saved.dir.startsWith(join(tmpdir(), "p2plab-chain-"))).toBe(true);
    expect(saved.fallbackReason).toBe(`could not write to ${results}: it exists and is not a directory (EEXIST)`);
    expect(await readFile(join(saved.dir, "transcripts/alice.jsonl"), "utf8")).toContain('"ev":"listening"');
    expect(JSON.parse(await readFile(join(saved.dir, "summary.json"), "utf8"))).toMatchObject({
      lab: "chain-killed-bridge",
    });
    await rm(saved.dir, { recursive: true });
  });
});

describe("checkResultsDir", () => {
  it("creates a missing results directory and leaves nothing else in it", async () => {
    const results = join(await scratch(), "new", "results");
    await checkResultsDir(results);
    expect(await readdir(results)).toEqual([]);
  });

  it("refuses a directory that can never be made (/proc/nope) at once", async () => {
    await expect(checkResultsDir("/proc/nope")).rejects.toMatchObject({
      message: "cannot write results to /proc/nope: it cannot be created there (ENOENT)",
      exitCode: 2,
    });
  });

  it("refuses a path under a regular file with exit 2, naming the path and the fix", async () => {
    const file = join(await scratch(), "a-file");
    await writeFile(file, "");
    const check = checkResultsDir(join(file, "results"));
    await expect(check).rejects.toThrow(InputError);
    await expect(check).rejects.toMatchObject({
      message: `cannot write results to ${join(file, "results")}: part of the path is a file, not a directory (ENOTDIR)`,
      exitCode: 2,
      hint: "choose another directory with --results",
    });
  });
});
