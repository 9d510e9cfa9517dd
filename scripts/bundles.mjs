// What `npm run build` bundles, as esbuild options (scripts/bundles.test.ts checks each Node target
// against the Node that runs the bundle and the Node its dependencies declare; the page carries no package).

const shebang = { js: "#!/usr/bin/env node" };

/** @type {import("esbuild").BuildOptions[]} */
export const BUNDLES = [
  // The peer: one file, no runtime dependencies. Node 20, the oldest the package supports
  // (engines): the loopback tests run it on the host's Node, the peer image on Node 22.
  // CommonJS, because every peer pays its start on the cores dockerd needs: Node's ESM loader
  // costs about 3 ms of CPU more per start (bench: start).
  {
    entryPoints: ["peer/src/main.ts"],
    outfile: "dist/peer.cjs",
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    banner: shebang,
    legalComments: "none",
    logLevel: "warning",
  },
  // The `lab` CLI on the host's Node; its npm dependencies stay external. Split into chunks, so a
  // command's modules, and the packages only they import (dockerode, yaml), load when it runs:
  // `lab --help` does not pay for the engine's client.
  {
    entryPoints: { lab: "orchestrator/src/cli/main.ts" },
    outdir: "dist",
    splitting: true,
    chunkNames: "lab-chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    banner: shebang,
    logLevel: "warning",
  },
  // The same CLI with its dependencies inside, for the orchestrator image (docker compose), which
  // runs it on the peer image's Node 22. CommonJS, as dockerode's dependencies expect; dockerode's
  // optional native SSH helpers are left out (the image talks to a unix socket).
  {
    entryPoints: ["orchestrator/src/cli/main.ts"],
    outfile: "dist/lab-bundle.cjs",
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    loader: { ".node": "empty" },
    define: { "import.meta.url": "__p2plabModuleUrl" },
    banner: { js: `${shebang.js}\nconst __p2plabModuleUrl = require("node:url").pathToFileURL(__filename).href;` },
    legalComments: "none",
    logLevel: "warning",
  },
  // `lab ui`'s page script, served as /page.js: for the browser, one file, nothing fetched at run time.
  {
    entryPoints: ["orchestrator/src/ui/page/main.ts"],
    outfile: "dist/ui/page.js",
    bundle: true,
    platform: "browser",
    target: "es2022",
    format: "iife",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  },
];
