import { execFileSync } from "node:child_process";

/** Every test runs against the bundles a user gets: build them once per run. */
export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
}
