import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, labJson, leftovers } from "../support/lab-cli.js";

const skipReason = await engineOrSkipReason();
const RESULTS = "/tmp/p2plab-test-results";
const SIZE = 25;
/** The target of issue 12: payload frames per broadcast within 1.5 × (N − 1). */
const MAX_FRAMES = 1.5 * (SIZE - 1);

interface Event {
  peer: string;
  ev: string;
  id?: string;
  from?: string;
}

/** Every peer's events, from the transcripts `lab transcripts` saves now. */
async function transcripts(name: string, label: string): Promise<Event[]> {
  const out = `${RESULTS}/${name}-${label}`;
  const saved = await lab(["transcripts", name, "--out", out]);
  expect(saved.code, saved.stderr).toBe(0);
  const dir = join(out, "transcripts");
  const events: Event[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".jsonl"))) {
    const text = await readFile(join(dir, file), "utf8");
    for (const line of text.split("\n").filter(Boolean)) events.push(JSON.parse(line) as Event);
  }
  return events;
}

/** Sends from `peer` and returns the message id once the lab is quiet again. */
async function broadcast(name: string, peer: string, text: string): Promise<string> {
  return (await labJson<{ id: string }>(["send", peer, text, "--lab", name])).id;
}

const payloadFrames = (events: Event[], id: string): number =>
  events.filter((e) => e.id === id && (e.ev === "recv" || e.ev === "dup")).length;

describe.skipIf(skipReason !== undefined)(
  `heal mode's broadcast tree on a ${SIZE}-peer mesh${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const name = uniqueLabName("plum-mesh");
    afterAll(async () => {
      await lab(["down", name, "--results", RESULTS]);
      expect(await leftovers(name)).toEqual([]);
    });

    it(`carries a broadcast in at most 1.5 × ${SIZE - 1} payload frames, and after a crash on the tree every live peer shows each later message once`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "p2plab-plum-"));
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, `name: ${name}\ndefaults:\n  mode: heal\ngenerate: { shape: mesh, size: ${SIZE} }\n`);
      const up = await lab(["up", file]);
      expect(up.code, up.stderr + up.stdout).toBe(0);
      const peers = Array.from({ length: SIZE }, (_, i) => `p${i + 1}`);

      // The first broadcasts flood every link; their duplicates prune it down to a tree.
      for (const sender of ["p1", "p9", "p17"]) await broadcast(name, sender, `warm-up from ${sender}`);
      const steady: string[] = [];
      for (const sender of ["p2", "p10", "p18", "p25"])
        steady.push(await broadcast(name, sender, `steady from ${sender}`));
      const before = await transcripts(name, "steady");
      const frames = steady.map((id) => payloadFrames(before, id));
      expect(
        frames.every((count) => count <= MAX_FRAMES),
        `payload frames per broadcast: ${frames.join(", ")}`,
      ).toBe(true);
      for (const id of steady) {
        expect(before.filter((e) => e.id === id && e.ev === "recv")).toHaveLength(SIZE - 1);
      }

      // The peer that passed the steady broadcasts on most is on the tree, inner node: its children lose their payloads.
      const forwarded = new Map<string, number>();
      for (const event of before) {
        if (event.ev === "recv" && steady.includes(event.id!) && event.from !== event.id!.split(":")[0]) {
          forwarded.set(event.from!, (forwarded.get(event.from!) ?? 0) + 1);
        }
      }
      const victim = [...forwarded].sort((a, b) => b[1] - a[1])[0]![0];
      const kill = await lab(["kill", victim, "--lab", name]);
      expect(kill.code, kill.stderr).toBe(0);

      const live = peers.filter((peer) => peer !== victim);
      const after: Array<{ id: string; sender: string }> = [];
      for (const sender of live.filter((_, i) => i % 6 === 0)) {
        after.push({ id: await broadcast(name, sender, `after the crash from ${sender}`), sender });
      }
      const events = await transcripts(name, "after");
      for (const { id, sender } of after) {
        const shown = events.filter((e) => e.id === id && e.ev === "recv").map((e) => e.peer);
        expect(shown.sort(), `who showed ${id} (sent by ${sender}, ${victim} killed)`).toEqual(
          live.filter((peer) => peer !== sender).sort(),
        );
      }
    });
  },
);
