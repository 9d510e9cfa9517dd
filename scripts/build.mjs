// Bundles the peer and the `lab` CLI (scripts/bundles.mjs says what and for which Node).
import { build } from "esbuild";
import { chmod, rm } from "node:fs/promises";
import { BUNDLES } from "./bundles.mjs";

// Chunks are named by their hash: those of an earlier build would pile up.
await rm("dist/lab-chunks", { recursive: true, force: true });
for (const options of BUNDLES) await build(options);

await chmod("dist/peer.cjs", 0o755);
await chmod("dist/lab.js", 0o755);
