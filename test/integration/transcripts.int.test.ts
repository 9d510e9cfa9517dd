import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import type { LogLine } from "../../orchestrator/src/runtime/runtime.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { leftovers } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();

// The engine cuts a log line every 16 KiB. The json-file driver turns a character cut in two
// into U+FFFD, so these lines put multi-byte characters on both sides of every cut, not across it.
const KIB16 = 16 * 1024;
const LINE_20K = "😀".repeat(KIB16 / 4) + "é".repeat(2048);
const LINE_70K = "€".repeat(5461) + "a" + "😀".repeat(KIB16 / 4) + '"\\'.repeat(KIB16 / 2) + "é".repeat(KIB16 / 2) + "€".repeat(2048);

/** Prints "ready", then, once a line comes on stdin, the long lines and "done", and exits. */
const PRINTER = `
process.stdout.write("ready\\n");
process.stdin.once("data", () => {
  process.stderr.write(${JSON.stringify(LINE_20K)} + "\\n");
  process.stdout.write(${JSON.stringify(LINE_70K)} + "\\n");
  process.stdout.write("done\\n", () => process.exit(0));
});`;

/** Each stream's lines as sizes and digests: the engine does not order one stream against the other, and a diff of 70 KiB helps nobody. */
const shown = (lines: ReadonlyArray<Pick<LogLine, "stream" | "text">>): Record<LogLine["stream"], string[]> => {
  const digest = (text: string): string => `${Buffer.byteLength(text)} bytes, sha256 ${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
  const of = (stream: LogLine["stream"]): string[] => lines.filter((line) => line.stream === stream).map((line) => digest(line.text));
  return { stdout: of("stdout"), stderr: of("stderr") };
};

describe.skipIf(skipReason !== undefined)(`what peers print reaches transcripts whole${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const names: string[] = [];
  afterAll(async () => {
    for (const name of names) expect(await leftovers(name)).toEqual([]);
  });

  it("runtime.logs gives back lines of 20 KiB and 70 KiB byte for byte, following and not", async () => {
    const name = uniqueLabName("long");
    names.push(name);
    const runtime = new DockerRuntime();
    const labels = { "p2plab.lab": name };
    const network = `p2plab-${name}`;
    await runtime.createNetwork(network, labels);
    const id = await runtime.createContainer({
      name: `${network}-printer`,
      image: await runtime.chooseBaseImage(),
      entrypoint: ["node", "-e", PRINTER],
      cmd: [],
      labels,
      network,
      aliases: [],
      hostname: "printer",
      env: {},
    });
    try {
      await runtime.start(id);
      const following = runtime.logs(id, { follow: true })[Symbol.asyncIterator]();
      expect((await following.next()).value).toMatchObject({ stream: "stdout", text: "ready" });
      await runtime.writeLine(id, "go");
      const followed: LogLine[] = [];
      for (let next = await following.next(); !next.done; next = await following.next()) followed.push(next.value);

      expect(Buffer.byteLength(LINE_20K)).toBe(20 * 1024);
      expect(Buffer.byteLength(LINE_70K)).toBe(70 * 1024);
      const printed = [
        { stream: "stderr", text: LINE_20K },
        { stream: "stdout", text: LINE_70K },
        { stream: "stdout", text: "done" },
      ] as const;
      expect(shown(followed)).toEqual(shown(printed));
      const read: LogLine[] = [];
      for await (const line of runtime.logs(id, { follow: false })) read.push(line);
      expect(shown(read)).toEqual(shown([{ stream: "stdout", text: "ready" }, ...printed]));
      expect(read.every((line) => /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(line.ts))).toBe(true);
    } finally {
      await runtime.remove(id);
      for (const { id: networkId } of await runtime.listNetworks(labels)) await runtime.removeNetwork(networkId);
    }
    expect(await leftovers(name)).toEqual([]);
  });
});
