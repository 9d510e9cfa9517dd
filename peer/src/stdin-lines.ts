/** Longer than any line a message or command can be: such a line is dropped, not buffered. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Splits stdin into lines at `\n` only, dropping one trailing `\r`. readline also breaks at a lone
 * `\r`, which turned `hi\r/quit` into a message and a command; here it stays inside its line,
 * where the message rule refuses it. A line over MAX_LINE_BYTES is dropped whole, so input without
 * newlines cannot grow memory.
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Inside an over-long line: discard up to its newline. */
  private skipping = false;

  constructor(
    private readonly line: (line: string) => void,
    private readonly tooLong: () => void,
  ) {}

  push(chunk: Buffer): void {
    let rest = chunk;
    let newline: number;
    while ((newline = rest.indexOf(10)) !== -1) {
      const end = rest.subarray(0, newline);
      rest = rest.subarray(newline + 1);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const bytes = this.pending.length === 0 ? end : Buffer.concat([this.pending, end]);
      this.pending = Buffer.alloc(0);
      if (bytes.length > MAX_LINE_BYTES) {
        this.tooLong();
        continue;
      }
      this.line(bytes.toString("utf8").replace(/\r$/, ""));
    }
    if (this.skipping) return;
    this.pending = this.pending.length === 0 ? Buffer.from(rest) : Buffer.concat([this.pending, rest]);
    if (this.pending.length > MAX_LINE_BYTES) {
      this.tooLong();
      this.pending = Buffer.alloc(0);
      this.skipping = true;
    }
  }
}
