/**
 * How a chat line is typed into a program (`interface.send`): a template where `{text}` is the
 * message, e.g. `"/say {text}"`; `{{` and `}}` are literal braces. The lab writes the line and a
 * newline to the program's stdin. Default: the text alone.
 */
export const DEFAULT_SEND = "{text}";

/** What is wrong with a send template, or undefined. */
export function sendTemplateProblem(template: string): { message: string; hint: string } | undefined {
  // A newline would type two lines, and other control characters are no part of a chat line.
  if (/[\u0000-\u001f\u007f]/.test(template)) {
    return {
      message: "contains a control character (a newline would type two lines)",
      hint: 'one line, e.g. "/say {text}"; the lab adds the newline',
    };
  }
  const parts = parse(template);
  if ("message" in parts) return parts;
  if (parts.texts === 0) {
    return { message: "has no {text}: where does the message go?", hint: 'e.g. "{text}" or "/say {text}"' };
  }
  return undefined;
}

/** The line typed for `text`; the template is one sendTemplateProblem accepts. */
export function typedLine(template: string, text: string): string {
  const parts = parse(template);
  if ("message" in parts) throw new Error(`send template ${JSON.stringify(template)}: ${parts.message}`);
  return parts.pieces.map((piece) => piece ?? text).join("");
}

/** Literal pieces, and undefined where the text goes. */
function parse(
  template: string,
): { pieces: Array<string | undefined>; texts: number } | { message: string; hint: string } {
  const pieces: Array<string | undefined> = [];
  let literal = "";
  let texts = 0;
  for (let at = 0; at < template.length;) {
    const char = template[at]!;
    if ((char === "{" || char === "}") && template[at + 1] === char) {
      literal += char;
      at += 2;
    } else if (template.startsWith("{text}", at)) {
      pieces.push(literal, undefined);
      literal = "";
      texts += 1;
      at += "{text}".length;
    } else if (char === "{" || char === "}") {
      const placeholder = /^\{[^{}]*\}/.exec(template.slice(at))?.[0];
      return {
        message: placeholder
          ? `unknown placeholder ${placeholder}: a send template knows only {text}`
          : `a lone ${char} at character ${at + 1}`,
        hint: "write {{ and }} for literal braces",
      };
    } else {
      literal += char;
      at += 1;
    }
  }
  pieces.push(literal);
  return { pieces, texts };
}
