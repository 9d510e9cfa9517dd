/**
 * ANSI escape sequences: CSI (colours, cursor moves; ESC [ or the 8-bit CSI), OSC (titles,
 * links; ended by BEL or ESC \), character-set selections, and the two-character escapes
 * (ESC 7 saves the cursor, ESC c resets); and carriage returns.
 */
const TERMINAL_CODES =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[()*+#][ -~]|\x1b[0-~]|\r/g;

/** A line as a terminal shows it, for matching: escape codes and carriage returns removed. */
export function stripTerminalCodes(text: string): string {
  return text.replace(TERMINAL_CODES, "");
}
