import { existsSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { pathToFileURL } from "node:url";
import { build, type BuildOptions } from "esbuild";
import { describe, expect, it } from "vitest";
import { OFFICIAL_BASE_IMAGE, STAND_IN_BASE_IMAGE } from "../orchestrator/src/runtime/peer-image.js";

// A computed specifier: scripts/bundles.mjs has no type declarations, and needs none elsewhere.
const { BUNDLES } = (await import(pathToFileURL("scripts/bundles.mjs").href)) as { BUNDLES: BuildOptions[] };

type Version = [major: number, minor: number];

const manifest = (path: string): { engines?: { node?: string } } => JSON.parse(readFileSync(path, "utf8"));

/** The lowest Node a range admits: ">=20", ">= 8.0", "^22.12.0 || >=24". */
function lowestNode(range: string): Version {
  const bounds = range.split("||").map((part) => {
    const bound = /^\s*(?:>=|\^|~)?\s*v?(\d+)(?:\.(\d+))?/.exec(part);
    if (!bound) throw new Error(`cannot read the Node range "${range}"`);
    return [Number(bound[1]), Number(bound[2] ?? 0)] as Version;
  });
  return bounds.reduce((low, bound) => (atLeast(low, bound) ? bound : low));
}

function atLeast([major, minor]: Version, [wantMajor, wantMinor]: Version): boolean {
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

const show = ([major, minor]: Version): string => `${major}.${minor}`;

const hostNode = lowestNode(manifest("package.json").engines!.node!);
const imageNode: Version = [Number(/^node:(\d+)-/.exec(OFFICIAL_BASE_IMAGE)![1]), 0];

/** The Nodes each bundle runs on: the host's (package.json engines) and the images' (their base). */
const RUNS_ON: Record<string, Version[]> = {
  "dist/peer.cjs": [hostNode, imageNode],
  "dist/lab.js": [hostNode],
  "dist/lab-bundle.cjs": [imageNode],
};

/** The package.json of every npm package a bundle carries or loads. */
async function packagesOf(options: BuildOptions): Promise<string[]> {
  const { metafile } = await build({ ...options, write: false, metafile: true, logLevel: "silent" });
  const manifests = new Set<string>();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    // node_modules/a/node_modules/@b/c/lib/x.js → node_modules/a/node_modules/@b/c/package.json
    const bundled = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (bundled) manifests.add(`${bundled[1]}/package.json`);
    for (const imported of imports) {
      if (!imported.external || isBuiltin(imported.path)) continue;
      const external = `node_modules/${/^(?:@[^/]+\/)?[^/]+/.exec(imported.path)![0]}/package.json`;
      // An optional require of a package not installed (debug's supports-color) is never loaded.
      if (existsSync(external)) manifests.add(external);
    }
  }
  return [...manifests].sort();
}

describe("the bundles' Node targets", () => {
  it("the stand-in base carries the official base's Node", () => {
    expect(STAND_IN_BASE_IMAGE).toBe(`p2plab/node-base:${imageNode[0]}-bookworm`);
  });

  for (const options of BUNDLES.filter((bundle) => bundle.platform === "node")) {
    // A split bundle names its entry file by its entry point's name.
    const outfile = options.outfile ?? `${options.outdir}/${Object.keys(options.entryPoints as object)[0]}.js`;
    it(`${outfile} targets the oldest Node it runs on, one every package it uses supports`, async () => {
      const target = lowestNode(String(options.target).replace(/^node/, ""));
      const runsOn = RUNS_ON[outfile]!;
      expect(show(target), `${outfile} runs on Node ${runsOn.map(show).join(" and ")}`).toBe(
        show(runsOn.reduce((low, node) => (atLeast(low, node) ? node : low))),
      );
      const packages = await packagesOf(options);
      // The peer carries none (below); the CLI's must be found, or this test checks nothing.
      if (outfile !== "dist/peer.cjs") expect(packages.length).toBeGreaterThan(0);
      for (const path of packages) {
        const range = manifest(path).engines?.node;
        if (range === undefined) continue;
        expect(
          atLeast(target, lowestNode(range)),
          `${outfile} (node ${show(target)}) uses ${path}, which needs Node ${range}`,
        ).toBe(true);
      }
    });
  }
});

describe("the peer bundle", () => {
  it("carries no npm package: it starts in every container, so it stays small", async () => {
    const peer = BUNDLES.find((options) => options.outfile === "dist/peer.cjs")!;
    expect(await packagesOf(peer)).toEqual([]);
  });
});

describe("the page bundle", () => {
  it("carries no npm package and no Node module: it runs in the browser, and nothing is fetched", async () => {
    const page = BUNDLES.find((options) => options.outfile === "dist/ui/page.js")!;
    expect(page.platform).toBe("browser");
    expect(await packagesOf(page)).toEqual([]);
    const { metafile } = await build({ ...page, write: false, metafile: true, logLevel: "silent" });
    const builtins = Object.values(metafile.inputs).flatMap(({ imports }) =>
      imports.filter((imported) => isBuiltin(imported.path)).map((imported) => imported.path),
    );
    expect(builtins).toEqual([]);
  });
});
