import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEAD_FILL, PARTITION_PALETTE } from "../../orchestrator/src/report/overlay-svg.js";
import { CHROMIUM, CHROMIUM_FLAGS, chromiumOrSkipReason } from "../support/chromium.js";
import { engineOrSkipReason, uniqueLabName } from "../support/engine.js";
import { lab, leftovers, startLab, topologyCopy, type RunningLab } from "../support/lab-cli.js";
import { countPixels, inkStats, near, type Region } from "../support/pixels.js";

/**
 * `lab ui` as a person uses it: a real lab, the real server, Debian's Chromium driven over CDP by
 * puppeteer-core (no browser of its own is downloaded). With UPDATE_SCREENSHOT=1 its screenshot
 * becomes the README's picture, docs/images/lab-ui.png.
 */

const engineSkip = await engineOrSkipReason();
const skipReason = engineSkip ?? chromiumOrSkipReason();
const README_SCREENSHOT = new URL("../../docs/images/lab-ui.png", import.meta.url).pathname;
/** The last run's screenshot stays here, for a person to look at. */
const KEPT_SCREENSHOT = join(tmpdir(), "lab-ui-screenshot.png");
/** The issue's promise: a fault shows on the page within 2 s. */
const SHOWN_WITHIN_MS = 2_000;

/** Until an element under `selector` says `text` (the page's code as a string: the tests have no DOM types). */
async function waitForText(page: Page, selector: string, text: string, timeout: number): Promise<void> {
  const query = `[...document.querySelectorAll(${JSON.stringify(selector)})].some((e) => e.textContent.includes(${JSON.stringify(text)}))`;
  await page.waitForFunction(query, { timeout });
}

describe.skipIf(skipReason !== undefined)(
  `lab ui in headless Chromium on a real engine${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const name = uniqueLabName("uipage");
    let labUp = false;
    let ui: RunningLab | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let url = "";
    let dir = "";

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "p2plab-ui-"));
      const up = await lab(["up", await topologyCopy("topologies/chain.yaml", name)]);
      expect(up.code, up.stderr).toBe(0);
      labUp = true;
      ui = startLab(["ui", name, "--results", join(dir, "results")]);
      await ui.waitFor(/^http:\/\/\S+\n/, 30_000);
      url = /^(http:\/\/\S+)/.exec(ui.printed().stdout)![1]!;
      browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        args: [...CHROMIUM_FLAGS, `--user-data-dir=${join(dir, "profile")}`],
        defaultViewport: { width: 1280, height: 720 },
      });
      page = await browser.newPage();
      await page.goto(url);
      await page.waitForSelector('[data-peer="dave"][data-state="running"]', { timeout: 10_000 });
    });

    afterAll(async () => {
      // Everything is stopped and removed first; what went wrong is said after.
      await browser?.close();
      ui?.signal("SIGINT");
      const stopped = await ui?.done;
      const down = labUp ? await lab(["down", name, "--results", join(dir, "results")]) : undefined;
      const left = await leftovers(name);
      await rm(dir, { recursive: true, force: true });
      expect(left).toEqual([]);
      if (down) expect(down.code, down.stderr).toBe(0);
      if (stopped) expect(stopped.code, `lab ui should end cleanly on Ctrl-C:\n${stopped.stderr}`).toBe(0);
    });

    it("draws the chain whole: four nodes, each a button named by its peer and state, one partition", async () => {
      const labels = await page.$$eval("[data-peer]", (nodes) => nodes.map((node) => node.getAttribute("aria-label")));
      expect(labels).toEqual([
        "alice: running, partition 1",
        "bob: running, partition 1",
        "carol: running, partition 1",
        "dave: running, partition 1",
      ]);
      expect(await page.$eval("#status", (status) => status.textContent)).toContain("{alice, bob, carol, dave}");
    });

    it("sends a message from alice, opened by keyboard, and the feed shows it delivered along the chain", async () => {
      // Whether a dot crossed a link: recorded as it happens, since each lasts only 400 ms.
      await page.evaluate(
        `new MutationObserver(() => document.querySelector(".dots").setAttribute("data-seen", "yes")).observe(document.querySelector(".dots"), { childList: true })`,
      );
      await page.evaluate(`document.querySelector('[data-peer="alice"]').focus()`);
      await page.keyboard.press("Enter");
      await page.waitForSelector("#menu:not([hidden])");
      await page.type("#menu input[name=text]", "hello from the page");
      await page.keyboard.press("Enter");
      await waitForText(page, "#feed li", "dave ← carol: hello from the page", 10_000);
      // The send's answer, as `lab send` prints it: it comes once every reachable peer has it.
      await waitForText(page, "#result", "received by: bob, carol, dave", 10_000);
      // Newest first by when each was printed, whichever peer's log came in first: the send below its receipts.
      const feedLines = await page.$$eval("#feed li", (lines) => lines.map((line) => line.textContent ?? ""));
      const sentAt = feedLines.findIndex((line) => line.includes("alice → bob: hello from the page"));
      const firstHopAt = feedLines.findIndex((line) => line.includes("bob ← alice: hello from the page"));
      expect(sentAt, feedLines.join("\n")).toBeGreaterThan(firstHopAt);
      expect(firstHopAt).toBeGreaterThanOrEqual(0);
      expect(await page.$eval("#result", (result) => result.textContent)).toMatch(
        /^\$ lab send alice hello from the page/,
      );
      expect(await page.$eval(".dots", (dots) => dots.getAttribute("data-seen"))).toBe("yes");
      await page.keyboard.press("Escape");
      expect(await page.$eval("#menu", (menu) => menu.hasAttribute("hidden"))).toBe(true);
      expect(await page.evaluate(`document.activeElement?.getAttribute("data-peer")`)).toBe("alice");
    });

    it("closes a node's menu on Escape after Tab moved the focus out of it, and leaves the focus where it went", async () => {
      await page.evaluate(`document.querySelector('[data-peer="carol"]').focus()`);
      await page.keyboard.press("Space");
      await page.waitForSelector("#menu:not([hidden])");
      await page.focus("#fault");
      await page.keyboard.press("Escape");
      expect(await page.$eval("#menu", (menu) => menu.hasAttribute("hidden"))).toBe(true);
      expect(await page.evaluate(`document.activeElement?.id`)).toBe("fault");
    });

    it("keeps the lab's name on one line at 1024×768 with the big type, for a projector", async () => {
      await page.setViewport({ width: 1024, height: 768 });
      await page.click("#big");
      try {
        const heading = (await page.evaluate(
          `(() => { const h1 = document.querySelector("#lab"); return { height: h1.getBoundingClientRect().height, line: parseFloat(getComputedStyle(h1).lineHeight) }; })()`,
        )) as { height: number; line: number };
        expect(heading.height).toBeLessThan(heading.line * 1.5);
      } finally {
        await page.click("#big");
        await page.setViewport({ width: 1280, height: 720 });
      }
    });

    it(`kills bob from his menu, and within ${SHOWN_WITHIN_MS / 1000} s the page shows him dead and the partition`, async () => {
      await page.click('[data-peer="bob"] circle');
      await page.waitForSelector('#menu:not([hidden]) button[data-action="kill"]');
      const clicked = Date.now();
      await page.click('#menu button[data-action="kill"]');
      await page.waitForSelector('[data-peer="bob"][data-state="killed"]', { timeout: SHOWN_WITHIN_MS });
      await waitForText(
        page,
        "#status",
        "{alice} {carol, dave}",
        Math.max(1, SHOWN_WITHIN_MS - (Date.now() - clicked)),
      );
      expect(Date.now() - clicked).toBeLessThanOrEqual(SHOWN_WITHIN_MS);
      expect(await page.$eval('[data-peer="bob"]', (node) => node.getAttribute("aria-label"))).toBe("bob: killed");
      await waitForText(page, "#result", "killed bob (SIGKILL)", 10_000);
    });

    it("paints a 1280×720 page with the graph in colour and bob's grey node", async () => {
      // No focus ring in the picture: the page at rest.
      await page.evaluate(`document.activeElement?.blur()`);
      const pngFile = join(dir, "lab-ui.png");
      await page.screenshot({ path: pngFile as `${string}.png` });
      await copyFile(pngFile, KEPT_SCREENSHOT);
      const png = PNG.sync.read(await readFile(pngFile));
      expect([png.width, png.height]).toEqual([1280, 720]);
      // The nodes' colours counted in the graph only: the legend and the page's greys are elsewhere.
      const graph = await page.$eval("#graph", (box) => box.getBoundingClientRect().toJSON() as Region);
      const stats = {
        ...inkStats(png),
        deadGrey: countPixels(png, near(DEAD_FILL, 6), graph),
        partitionOne: countPixels(png, near(PARTITION_PALETTE[0]!, 6), graph),
        partitionTwo: countPixels(png, near(PARTITION_PALETTE[1]!, 6), graph),
      };
      const seeIt = `(screenshot: ${KEPT_SCREENSHOT}; ${JSON.stringify(stats)})`;
      expect(stats.nonWhiteShare, `at least 3% of pixels should be ink ${seeIt}`).toBeGreaterThanOrEqual(0.03);
      expect(stats.distinctColours, `at least 8 distinct colours expected ${seeIt}`).toBeGreaterThanOrEqual(8);
      expect(stats.deadGrey, `bob's grey node should be painted ${seeIt}`).toBeGreaterThanOrEqual(400);
      expect(stats.partitionOne, `alice's partition colour ${seeIt}`).toBeGreaterThanOrEqual(300);
      expect(stats.partitionTwo, `carol and dave's partition colour ${seeIt}`).toBeGreaterThanOrEqual(600);
      if (process.env.UPDATE_SCREENSHOT === "1") {
        await mkdir(join(README_SCREENSHOT, ".."), { recursive: true });
        await copyFile(pngFile, README_SCREENSHOT);
      }
    });

    it("refuses an action posted without the page's token (403), and does nothing", async () => {
      const status = await page.evaluate(async () => {
        const response = await fetch("/api/action", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ action: "kill", peer: "carol" }),
        });
        return response.status;
      });
      expect(status).toBe(403);
      expect(await page.$eval('[data-peer="carol"]', (node) => node.getAttribute("data-state"))).toBe("running");
    });

    it("says the lab was brought down when someone runs lab down, and the transcripts' place", async () => {
      const down = await lab(["down", name, "--results", join(dir, "results")]);
      expect(down.code, down.stderr).toBe(0);
      labUp = false;
      await waitForText(page, "#banners .lab", "brought down", 10_000);
      expect(await page.$eval("#banners .lab", (banner) => banner.textContent)).toContain(
        `transcripts were saved to ${join(dir, "results")}`,
      );
      // Its terminal says so too: a lab brought up again under this name is not followed.
      await ui!.waitFor(/brought down; .*the pages say so\. Ctrl-C stops serving; run lab ui again/, 10_000);
    });

    it("says so when the lab ui server goes away (Ctrl-C), instead of freezing", async () => {
      ui!.signal("SIGINT");
      expect((await ui!.done).code).toBe(0);
      await waitForText(page, "#banners .connection", "lost the lab ui server", 10_000);
    });
  },
);
