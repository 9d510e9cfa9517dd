import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Debian's chromium; P2PLAB_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.P2PLAB_CHROMIUM ?? "/usr/bin/chromium";

/** Headless, offline and without a profile: nothing but the page under test is loaded. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
];
const TIMEOUT_MS = 90_000;

/**
 * Browser tests need Debian's chromium. Where CI asks for it (P2PLAB_REQUIRE_BROWSER=1) its
 * absence fails the run; elsewhere those tests skip and say why.
 */
export function chromiumOrSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `no browser at ${CHROMIUM}`;
  if (process.env.P2PLAB_REQUIRE_BROWSER === "1") {
    throw new Error(`${reason} — P2PLAB_REQUIRE_BROWSER=1 requires one (install it with: apt-get install -y chromium)`);
  }
  console.warn(
    `skipping browser tests: ${reason} (apt-get install -y chromium; set P2PLAB_REQUIRE_BROWSER=1 to make this a failure)`,
  );
  return reason;
}

/** Renders `htmlFile` at width × height and writes the screenshot to `pngFile`. */
export async function screenshot(
  htmlFile: string,
  pngFile: string,
  size = { width: 1400, height: 2400 },
): Promise<void> {
  await runChromium([
    `--window-size=${size.width},${size.height}`,
    `--screenshot=${pngFile}`,
    pathToFileURL(htmlFile).href,
  ]);
  if (!existsSync(pngFile)) throw new Error(`chromium exited without writing the screenshot ${pngFile}`);
}

/** The DOM after the page loaded, as chromium serializes it. */
export async function dumpDom(htmlFile: string): Promise<string> {
  return runChromium(["--dump-dom", pathToFileURL(htmlFile).href]);
}

/** One chromium process with a profile of its own, removed afterwards; returns its stdout. */
async function runChromium(args: string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), "p2plab-chromium-"));
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(
        CHROMIUM,
        [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args],
        { timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) {
            // Chromium logs harmless D-Bus noise on stderr; show only the end of it.
            reject(
              new Error(
                `chromium ${args.join(" ")} failed: ${error.message}\n${stderr.split("\n").slice(-15).join("\n")}`,
              ),
            );
          } else {
            resolve(stdout);
          }
        },
      );
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
