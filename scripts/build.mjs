// Bundles the peer (one file, no runtime dependencies, runs on Debian's Node 18 too)
// and the `lab` CLI (its npm dependencies stay external).
import { build } from "esbuild";
import { chmod } from "node:fs/promises";

const shebang = { js: "#!/usr/bin/env node" };

await build({
  entryPoints: ["peer/src/main.ts"],
  outfile: "dist/peer.mjs",
  bundle: true,
  platform: "node",
  target: "node18",
  format: "esm",
  banner: shebang,
  legalComments: "none",
  logLevel: "warning",
});

await build({
  entryPoints: ["orchestrator/src/cli/main.ts"],
  outfile: "dist/lab.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  banner: shebang,
  logLevel: "warning",
});

// The same CLI with its dependencies inside, for the orchestrator image (docker compose).
// CommonJS, as dockerode's dependencies expect; dockerode's optional native SSH helpers are
// left out (the image talks to a unix socket).
await build({
  entryPoints: ["orchestrator/src/cli/main.ts"],
  outfile: "dist/lab-bundle.cjs",
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  loader: { ".node": "empty" },
  define: { "import.meta.url": "__p2plabModuleUrl" },
  banner: { js: `${shebang.js}\nconst __p2plabModuleUrl = require("node:url").pathToFileURL(__filename).href;` },
  legalComments: "none",
  logLevel: "warning",
});

await chmod("dist/peer.mjs", 0o755);
await chmod("dist/lab.js", 0o755);
