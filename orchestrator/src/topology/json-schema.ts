import { z } from "zod";
import { topologyFileSchema } from "./schema.js";

export const TOPOLOGY_SCHEMA_ID = "urn:p2plab:schema:topology";

/** The JSON Schema of a topology file, generated from the zod schema (schemas/topology.schema.json). */
export function topologyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(topologyFileSchema, { io: "input" }) as Record<string, unknown>;
  const { $schema: _ignored, ...body } = generated;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: TOPOLOGY_SCHEMA_ID,
    title: "p2plab topology",
    ...body,
    // "Exactly one of peers and generate" is checked by the loader; say it to editors too.
    oneOf: [{ required: ["peers"] }, { required: ["generate"] }],
  };
}
