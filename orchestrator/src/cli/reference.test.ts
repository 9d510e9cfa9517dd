import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { buildProgram } from "./program.js";
import { commandReference } from "./reference.js";

const README = new URL("../../../README.md", import.meta.url);
const BEGIN = "<!-- command reference: generated from the CLI, see orchestrator/src/cli/reference.test.ts -->\n";
const END = "<!-- end of command reference -->";

describe("README command reference", () => {
  it("matches the CLI's own declarations", async () => {
    const readme = await readFile(README, "utf8");
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start, "README.md lacks the command reference markers").toBeGreaterThan(-1);
    const expected = commandReference(
      buildProgram(() => {
        throw new Error("no command runs here");
      }),
    );
    const actual = readme.slice(start + BEGIN.length, end);
    if (process.env.UPDATE_README === "1" && actual !== expected) {
      await writeFile(README, readme.slice(0, start + BEGIN.length) + expected + readme.slice(end));
      return;
    }
    expect(
      actual,
      "the README's command reference is stale: run UPDATE_README=1 npx vitest run orchestrator/src/cli/reference.test.ts",
    ).toBe(expected);
  });
});
