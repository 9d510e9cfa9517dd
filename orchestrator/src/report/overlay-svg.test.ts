import { build } from "esbuild";
import { isBuiltin } from "node:module";
import { describe, expect, it } from "vitest";
import type { OverlaySnapshot } from "../check/run-report.js";
import { DEAD_FILL, PARTITION_PALETTE, overlaySvg } from "./overlay-svg.js";

const PEERS = ["alice", "bob", "carol", "dave"];
const LINKS: Array<[string, string]> = [
  ["alice", "bob"],
  ["bob", "carol"],
  ["carol", "dave"],
];

function snapshot(edit: Partial<OverlaySnapshot> = {}): OverlaySnapshot {
  return {
    label: "now",
    at: "2025-03-14T10:00:00.000Z",
    states: { alice: "running", bob: "running", carol: "running", dave: "running" },
    links: [...LINKS],
    partitions: [PEERS],
    ...edit,
  };
}

describe("overlaySvg", () => {
  it("places the peers on a circle from the top, clockwise, and says where", () => {
    const { positions, viewBox, nodeRadius } = overlaySvg(PEERS, LINKS, snapshot(), "0");
    expect(positions.get("alice")).toEqual({ x: 160, y: 68 });
    expect(positions.get("bob")!.x).toBeCloseTo(252);
    expect(positions.get("carol")!.y).toBeCloseTo(252);
    expect(positions.get("dave")!.x).toBeCloseTo(68);
    expect(nodeRadius).toBe(17);
    expect(viewBox.y).toBe(0);
    expect(viewBox.height).toBe(320);
    expect(viewBox.width).toBe(320 - 2 * viewBox.x);
  });

  it("draws one node per peer in the peers' order, after the links, coloured by partition", () => {
    const { svg } = overlaySvg(
      PEERS,
      LINKS,
      snapshot({
        states: { alice: "running", bob: "killed", carol: "running", dave: "running" },
        links: [["carol", "dave"]],
        partitions: [["alice"], ["carol", "dave"]],
      }),
      "0",
    );
    const titles = [...svg.matchAll(/<g class="node"><title>([^<]*)<\/title>/g)].map((match) => match[1]);
    expect(titles).toEqual([
      "alice: running, partition 1",
      "bob: killed",
      "carol: running, partition 2",
      "dave: running, partition 2",
    ]);
    expect(svg.indexOf('class="live"')).toBeLessThan(svg.indexOf('<g class="node">'));
    expect(svg).toContain(`fill="${DEAD_FILL}"`);
    expect(svg).toContain(`fill="${PARTITION_PALETTE[1]}"`);
  });

  it("names a one-way cut's arrow by the ids it is given, so two drawings on a page do not share it", () => {
    const cut = snapshot({
      links: [
        ["alice", "bob"],
        ["bob", "carol"],
      ],
      cut: [{ from: "carol", to: "dave", oneWay: true }],
    });
    const first = overlaySvg(PEERS, LINKS, cut, "1").svg;
    const live = overlaySvg(PEERS, LINKS, cut, "live").svg;
    expect(first).toContain('<marker id="cut-arrow-1"');
    expect(first).toContain('marker-end="url(#cut-arrow-1)"');
    expect(live).toContain('<marker id="cut-arrow-live"');
    expect(live).toContain("cut carol → dave (one way): carol&#39;s packets to dave are dropped");
  });

  it("escapes peer names and the snapshot's label", () => {
    const peers = ["a<b", "c"];
    const { svg } = overlaySvg(
      peers,
      [["a<b", "c"]],
      snapshot({ label: '"x"', states: {}, links: [], partitions: [] }),
      "0",
    );
    expect(svg).not.toContain("a<b");
    expect(svg).toContain("a&lt;b");
    expect(svg).toContain('aria-label="overlay &quot;x&quot;"');
  });

  it("bundles for the browser without node: modules or npm packages (the live page carries it)", async () => {
    const { metafile } = await build({
      entryPoints: [new URL("./overlay-svg.ts", import.meta.url).pathname],
      bundle: true,
      platform: "browser",
      format: "iife",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((input) => input.includes("node_modules"))).toEqual([]);
    const imports = Object.values(metafile.inputs).flatMap((input) => input.imports.map((imported) => imported.path));
    expect(imports.filter((path) => isBuiltin(path))).toEqual([]);
  });
});
