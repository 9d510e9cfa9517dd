import { describe, expect, it } from "vitest";
import { DEFAULT_SEND, sendTemplateProblem, typedLine } from "./send-template.js";

describe("send templates", () => {
  it("types the text alone by default, or inside the program's own command", () => {
    expect(typedLine(DEFAULT_SEND, "hello there")).toBe("hello there");
    expect(typedLine("/say {text}", "hi")).toBe("/say hi");
    expect(typedLine("{{{text}}}", "hi")).toBe("{hi}");
  });

  it("accepts the default and a command with {text}", () => {
    expect(sendTemplateProblem(DEFAULT_SEND)).toBeUndefined();
    expect(sendTemplateProblem("msg all {text}")).toBeUndefined();
  });

  it("refuses a template without {text}, with another placeholder, a lone brace or a newline", () => {
    expect(sendTemplateProblem("/say")?.message).toBe("has no {text}: where does the message go?");
    expect(sendTemplateProblem("/msg {to} {text}")?.message).toBe(
      "unknown placeholder {to}: a send template knows only {text}",
    );
    expect(sendTemplateProblem("{text} }")?.message).toBe("a lone } at character 8");
    expect(sendTemplateProblem("{text}\n/flush")?.message).toMatch(/^contains a control character/);
  });
});
