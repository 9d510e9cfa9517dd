import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "./diagnostic.js";
import { loadTopology, type LoadOptions } from "./load.js";
import { storedTopologySchema } from "./schema.js";

const chain = (extra = "", bob = "") => `name: spread
${extra}
peers:
  alice: {connect: [bob]}
  bob: {connect: [carol]${bob}}
  carol: {}
`;

function load(text: string, options: LoadOptions = {}) {
  return loadTopology(text, "t.yaml", options);
}

function placements(text: string, options: LoadOptions = {}) {
  const result = load(text, options);
  if (!result.ok) expect.fail(result.errors.map(formatDiagnostic).join("\n"));
  return { engines: result.topology.engines, byPeer: result.topology.peers.map((peer) => peer.placement) };
}

function problems(text: string, options: LoadOptions = {}): string[] {
  const result = load(text, options);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors.map(formatDiagnostic);
}

describe("placement", () => {
  it("one engine, or none named: no engines and no placement, the lab as before", () => {
    expect(placements(chain())).toEqual({ engines: undefined, byPeer: [undefined, undefined, undefined] });
    expect(placements(chain("engines: [default]"))).toEqual({
      engines: undefined,
      byPeer: [undefined, undefined, undefined],
    });
  });

  it("spread (the default): round robin in peer order", () => {
    expect(placements(chain("engines: [a, b]"))).toEqual({ engines: ["a", "b"], byPeer: ["a", "b", "a"] });
    expect(placements(chain("engines: [a, b]\nplacement: spread"))).toEqual({
      engines: ["a", "b"],
      byPeer: ["a", "b", "a"],
    });
  });

  it("a peer's own placement, and --place over it; --engines over the file's list", () => {
    expect(placements(chain("engines: [a, b, c]", ", placement: c")).byPeer).toEqual(["a", "c", "c"]);
    expect(placements(chain("engines: [a, b, c]", ", placement: c"), { place: "bob=a" }).byPeer).toEqual([
      "a",
      "a",
      "c",
    ]);
    expect(placements(chain("engines: [a, b]"), { engines: ["x", "y", "z"] })).toEqual({
      engines: ["x", "y", "z"],
      byPeer: ["x", "y", "z"],
    });
  });

  it("a placement naming an engine not in the list: at its line, with the engines there are", () => {
    expect(problems(chain("engines: [a, b]", ", placement: bb"))).toEqual([
      't.yaml:5:38 peers.bob.placement: unknown engine "bb" (engines: a, b) — did you mean "b"?',
    ]);
    expect(problems(chain("", ", placement: b"))[0]).toMatch(
      /peers\.bob\.placement: unknown engine "b" \(engines: default\)/,
    );
  });

  it("--place: an unknown peer or engine, or an entry without =, is said as the flag's", () => {
    expect(problems(chain("engines: [a, b]"), { place: "bobb=a,carol=zzz,oops" })).toEqual([
      "--place: oops: expected PEER=ENGINE — e.g. --place bob=other,carol=default",
      '--place: bobb=a: unknown peer "bobb" — did you mean "bob"?',
      '--place: carol=zzz: unknown engine "zzz" (engines: a, b) — add it to engines (the topology\'s, --engines or P2PLAB_ENGINES)',
    ]);
  });

  it("an engine listed twice in the file", () => {
    expect(problems(chain("engines: [a, b, a]"))).toEqual(['t.yaml:2:17 engines[2]: engine "a" is listed twice']);
  });

  it("the stored topology keeps engines and placement, and refuses a placement outside them", () => {
    const result = load(chain("engines: [a, b]"));
    if (!result.ok) return expect.fail("loads");
    const stored = JSON.parse(JSON.stringify(result.topology));
    expect(storedTopologySchema.safeParse(stored).success).toBe(true);
    stored.peers[1].placement = "z";
    expect(storedTopologySchema.safeParse(stored).error?.issues[0]?.message).toBe('unknown engine "z"');
  });
});
