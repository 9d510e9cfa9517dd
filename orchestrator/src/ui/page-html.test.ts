import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pageHtml } from "./page-html.js";

const PAGE_DIR = new URL("./page/", import.meta.url);

describe("pageHtml", () => {
  const html = pageHtml({ lab: 'lab<"x">', token: 'tok"en<' });

  it("embeds the token and the lab's name escaped", () => {
    expect(html).toContain('<meta name="p2plab-token" content="tok&quot;en&lt;">');
    expect(html).toContain("<title>lab&lt;&quot;x&quot;&gt; · p2plab</title>");
    expect(html).not.toContain('lab<"x">');
  });

  it("has no inline script, so default-src 'self' lets it run: only /page.js", () => {
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0])).toEqual(['<script src="/page.js">']);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it("holds every element the page's script looks up by id", () => {
    const sources = readdirSync(PAGE_DIR)
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
      .map((file) => readFileSync(new URL(file, PAGE_DIR), "utf8"))
      .join("\n");
    const ids = [...sources.matchAll(/byId(?:<\w+>)?\("([^"]+)"\)/g)].map((match) => match[1]!);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of new Set(ids)) expect(html, `#${id}`).toContain(`id="${id}"`);
  });

  it("keeps what it hides hidden, even the elements its style lays out as flex (the network-faults form)", () => {
    expect(html).toMatch(/<form id="network-form"[^>]* hidden>/);
    expect(html).toContain("[hidden]{display:none !important}");
  });

  it("carries the report's legend and the drawing's style", () => {
    expect(html).toContain("killed / exited / removed");
    expect(html).toContain("line.live{");
  });
});
