import { describe, expect, it } from "vitest";
import { formatDiagnostic, formatPath } from "./diagnostic.js";

describe("formatDiagnostic", () => {
  it("gives file:line:col path: message — hint", () => {
    const text = formatDiagnostic({
      file: "topologies/chain.yaml",
      line: 12,
      col: 7,
      path: "peers.carol.connect[0]",
      message: 'unknown peer "carl" (known: alice, bob, carol, dave)',
      hint: 'did you mean "carol"?',
    });
    expect(text).toBe(
      'topologies/chain.yaml:12:7 peers.carol.connect[0]: unknown peer "carl" (known: alice, bob, carol, dave) — did you mean "carol"?',
    );
  });

  it("omits an empty path, a missing hint, and the position of a whole-file problem", () => {
    expect(
      formatDiagnostic({ file: "a.yaml", line: 1, col: 1, path: "", message: 'missing required field "name"' }),
    ).toBe('a.yaml:1:1 missing required field "name"');
    expect(formatDiagnostic({ file: "a.yaml", line: 0, col: 0, path: "", message: "cannot read: ENOENT" })).toBe(
      "a.yaml: cannot read: ENOENT",
    );
  });
});

describe("formatPath", () => {
  it("joins keys with dots and indexes with brackets", () => {
    expect(formatPath(["peers", "carol", "connect", 0])).toBe("peers.carol.connect[0]");
    expect(formatPath(["scenario", 2, "expect", "partitions", 1, 0])).toBe("scenario[2].expect.partitions[1][0]");
    expect(formatPath(["env", "a.b"])).toBe('env["a.b"]');
    expect(formatPath([])).toBe("");
  });
});
