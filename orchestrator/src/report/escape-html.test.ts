import { describe, expect, it } from "vitest";
import { escapeHtml, escapeHtmlText } from "./escape-html.js";

describe("escapeHtml", () => {
  it("keeps text from becoming markup between tags", () => {
    expect(escapeHtmlText(`<b>"Tom" & 'Jerry'</b>`)).toBe(`&lt;b&gt;"Tom" &amp; 'Jerry'&lt;/b&gt;`);
  });

  it("keeps text from ending an attribute value, too", () => {
    expect(escapeHtml(`<b>"Tom" & 'Jerry'</b>`)).toBe("&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
  });

  it("escapes an ampersand once, before the entities it writes", () => {
    expect(escapeHtml("&lt;")).toBe("&amp;lt;");
  });
});
