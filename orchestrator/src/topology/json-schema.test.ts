import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { topologyJsonSchema } from "./json-schema.js";

const FILE = "schemas/topology.schema.json";

describe("schemas/topology.schema.json", () => {
  it("matches the zod schema", () => {
    const expected = JSON.stringify(topologyJsonSchema(), null, 2) + "\n";
    if (process.env.UPDATE_SCHEMA === "1") writeFileSync(FILE, expected);
    let actual = "";
    try {
      actual = readFileSync(FILE, "utf8");
    } catch {
      // A missing file fails below with the same instructions.
    }
    if (actual !== expected) {
      expect.fail(
        `${FILE} is out of date with orchestrator/src/topology/schema.ts: run UPDATE_SCHEMA=1 npx vitest run orchestrator/src/topology/json-schema.test.ts`,
      );
    }
  });

  it("requires the name only, and rejects unknown keys", () => {
    const schema = topologyJsonSchema();
    expect(schema.$id).toBe("urn:p2plab:schema:topology");
    expect(schema.required).toEqual(["name"]);
    expect(schema.additionalProperties).toBe(false);
  });
});
