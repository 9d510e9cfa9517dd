import { describe, expect, it } from "vitest";
import { visible } from "./visible.js";

describe("visible", () => {
  it("shows every character that would act on a terminal as an escape", () => {
    expect(visible("\u001b[2J\u001b[Hfake prompt$ ")).toBe("\\x1b[2J\\x1b[Hfake prompt$ ");
    expect(visible("ok\rFAIL\n\ttab\u0000\u0007\u007f")).toBe("ok\\rFAIL\\n\\ttab\\x00\\x07\\x7f");
    expect(visible("\u009b31m C1 CSI")).toBe("\\x9b31m C1 CSI");
    expect(visible("abc\u202edcba\u2066\u2028")).toBe("abc\\u202edcba\\u2066\\u2028");
  });

  it("leaves printable text alone, however far from ASCII", () => {
    const text = 'héllo "quoted" \\ back 😀 €, 👨‍👩‍👧 日本語';
    expect(visible(text)).toBe(text);
  });
});
