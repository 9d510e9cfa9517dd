import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../../orchestrator/src/report/html.js";
import type { RunReport } from "../../orchestrator/src/check/run-report.js";
import { chromiumOrSkipReason, dumpDom, screenshot } from "../support/chromium.js";
import { countPixels, inkStats, type InkStats } from "../support/pixels.js";

const FIXTURE = new URL("../../orchestrator/src/report/fixtures/chain-killed-bridge.json", import.meta.url);
/** The last run's screenshot stays here, for a person to look at. */
const KEPT_SCREENSHOT = join(tmpdir(), "report-screenshot.png");

const skipReason = chromiumOrSkipReason();

/** What a blank or broken page would lack: ink, variety, and the red FAIL badge. */
function pixelStats(png: PNG): InkStats & { verdictRedPixels: number } {
  return { ...inkStats(png), verdictRedPixels: countPixels(png, (r, g, b) => r > 180 && g < 90 && b < 90) };
}

describe.skipIf(skipReason !== undefined)(
  `report.html in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    let dir = "";
    let htmlFile = "";

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "p2plab-report-"));
      htmlFile = join(dir, "report.html");
      const report = JSON.parse(await readFile(FIXTURE, "utf8")) as RunReport;
      await writeFile(htmlFile, renderHtml(report));
    });

    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("paints a page with content, colour and the red FAIL badge", async () => {
      const pngFile = join(dir, "report.png");
      await screenshot(htmlFile, pngFile, { width: 1400, height: 2400 });
      await copyFile(pngFile, KEPT_SCREENSHOT);
      const png = PNG.sync.read(await readFile(pngFile));
      expect([png.width, png.height]).toEqual([1400, 2400]);
      const stats = pixelStats(png);
      const seeIt = `(screenshot: ${KEPT_SCREENSHOT}; ${JSON.stringify(stats)})`;
      expect(stats.nonWhiteShare, `at least 5% of pixels should be ink ${seeIt}`).toBeGreaterThanOrEqual(0.05);
      expect(stats.distinctColours, `at least 6 distinct colours expected ${seeIt}`).toBeGreaterThanOrEqual(6);
      expect(stats.verdictRedPixels, `the red FAIL badge should be visible ${seeIt}`).toBeGreaterThanOrEqual(200);
    });

    it("loads a DOM with the delivery matrix and the diagrams", async () => {
      const dom = await dumpDom(htmlFile);
      expect(dom).toMatch(/<table class="matrix"[^>]*>[\s\S]*<th scope="col">alice<\/th>[\s\S]*<\/table>/);
      expect(dom).toContain('<span class="badge fail">✗ FAIL</span>');
      expect((dom.match(/<svg[\s>]/g) ?? []).length).toBeGreaterThanOrEqual(3);
      expect((dom.match(/<svg class="topology"/g) ?? []).length).toBe(2);
      expect(dom).toContain('<svg class="sequence"');
    });
  },
);
