import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_MESSAGE_ENCODED_BYTES, encodedTextBytes } from "../../peer/src/message-text.js";
import { DockerRuntime } from "../../orchestrator/src/runtime/docker-runtime.js";
import type { LogLine } from "../../orchestrator/src/runtime/runtime.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, leftovers, topologyCopy } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";

// The engine cuts a log line every 16 KiB. The json-file driver turns a character cut in two
// into U+FFFD, so these lines put multi-byte characters on both sides of every cut, not across it.
const KIB16 = 16 * 1024;
const LINE_20K = "😀".repeat(KIB16 / 4) + "é".repeat(2048);
const LINE_70K =
  "€".repeat(5461) + "a" + "😀".repeat(KIB16 / 4) + '"\\'.repeat(KIB16 / 2) + "é".repeat(KIB16 / 2) + "€".repeat(2048);

/** Prints "ready", then, once a line comes on stdin, the long lines and "done", and exits. */
const PRINTER = `
process.stdout.write("ready\\n");
process.stdin.once("data", () => {
  process.stderr.write(${JSON.stringify(LINE_20K)} + "\\n");
  process.stdout.write(${JSON.stringify(LINE_70K)} + "\\n");
  process.stdout.write("done\\n", () => process.exit(0));
});`;

/** The worst characters for JSON escaping, mixed, `bytes` long once encoded. */
function worstMessage(bytes: number): string {
  const unit = 'x"😀\\'; // 1 + 2 + 4 + 2 bytes encoded
  const rest = bytes % 9;
  return unit.repeat(Math.floor(bytes / 9)) + "é".repeat(Math.floor(rest / 2)) + "x".repeat(rest % 2);
}

/** Each stream's lines as sizes and digests: the engine does not order one stream against the other, and a diff of 70 KiB helps nobody. */
const shown = (lines: ReadonlyArray<Pick<LogLine, "stream" | "text">>): Record<LogLine["stream"], string[]> => {
  const digest = (text: string): string =>
    `${Buffer.byteLength(text)} bytes, sha256 ${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
  const of = (stream: LogLine["stream"]): string[] =>
    lines.filter((line) => line.stream === stream).map((line) => digest(line.text));
  return { stdout: of("stdout"), stderr: of("stderr") };
};

describe.skipIf(skipReason !== undefined)(
  `what peers print reaches transcripts whole${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const names: string[] = [];
    const labs: string[] = [];
    afterAll(async () => {
      for (const name of labs) await lab(["down", name, "--results", RESULTS]);
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

    it("a maximum-size message of the worst characters reaches every transcript byte for byte; one byte more is refused", async () => {
      const name = uniqueLabName("maxmsg");
      names.push(name);
      labs.push(name);
      const up = await lab(["up", await topologyCopy("topologies/chain.yaml", name)]);
      expect(up.code, up.stderr).toBe(0);

      const tooLong = worstMessage(MAX_MESSAGE_ENCODED_BYTES + 1);
      expect(encodedTextBytes(tooLong)).toBe(MAX_MESSAGE_ENCODED_BYTES + 1);
      const refused = await lab(["send", "alice", tooLong, "--lab", name]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`a message is at most ${MAX_MESSAGE_ENCODED_BYTES} bytes as JSON`);

      const text = worstMessage(MAX_MESSAGE_ENCODED_BYTES);
      expect(encodedTextBytes(text)).toBe(MAX_MESSAGE_ENCODED_BYTES);
      const sent = await labJson<{ receivedBy: string[]; text: string }>(["send", "alice", text, "--lab", name]);
      expect(sent.receivedBy).toEqual(["bob", "carol", "dave"]);
      expect(sent.text).toBe(text);

      const out = `${RESULTS}/${name}-transcripts`;
      const saved = await lab(["transcripts", name, "--out", out]);
      expect(saved.code, saved.stderr).toBe(0);
      for (const peer of ["alice", "bob", "carol", "dave"]) {
        const events = (await readFile(`${out}/transcripts/${peer}.jsonl`, "utf8"))
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as { ev: string; text?: string });
        const texts = events
          .filter((event) => event.ev === (peer === "alice" ? "sent" : "recv"))
          .map((event) => event.text);
        expect(texts, `${peer}'s transcript`).toEqual([text]);
      }
      const actions = (await readFile(`${out}/timeline.jsonl`, "utf8"))
        .split("\n")
        .filter((line) => line.includes('"action":"send"'));
      expect(actions).toHaveLength(1);
    });
  },
);
