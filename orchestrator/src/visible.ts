/**
 * Characters that act on a terminal instead of showing: C0 and C1 controls (ESC starts the
 * sequences that clear the screen or move the cursor, CR rewrites a line), DEL, the line and
 * paragraph separators, and the bidirectional controls that reorder what is shown.
 */
const ACTING = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Text from outside lab (what peers print, names and texts they report), made safe to show on a
 * terminal: every character that would act on it is shown as an escape instead (`\x1b`, `\r`,
 * `\u202e`). The one place this is decided; JSON output needs none of it.
 */
export function visible(text: string): string {
  return text.replace(ACTING, (char) => {
    const code = char.codePointAt(0)!;
    return (
      NAMED[char] ??
      (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`)
    );
  });
}
