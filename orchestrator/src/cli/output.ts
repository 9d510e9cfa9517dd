import { visible } from "../visible.js";

/** Colour and layout for people on a terminal; plain text when piped; JSON on request. */
export interface Colors {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const ansi = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
const plain = (text: string) => text;

export function colors(enabled: boolean): Colors {
  return enabled
    ? { bold: ansi(1), dim: ansi(2), red: ansi(31), green: ansi(32), yellow: ansi(33), cyan: ansi(36) }
    : { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
}

export class Output {
  readonly tty: boolean;
  readonly color: Colors;
  private readonly gone = new AbortController();

  constructor(
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stdout.isTTY === true;
    this.color = colors(this.tty && !process.env.NO_COLOR);
    stdout.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") this.gone.abort();
    });
  }

  /**
   * Aborts when stdout's reader has gone away (`lab logs -f | head -1`): a command that only
   * follows stops then. A run goes on: its lab must not be left behind half-way.
   */
  get readerGone(): AbortSignal {
    return this.gone.signal;
  }

  line(text = ""): void {
    this.stdout.write(`${text}\n`);
  }

  lines(texts: string[]): void {
    for (const text of texts) this.line(text);
  }

  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  /** Progress on long work goes to stderr, so stdout stays clean for pipes. */
  progress(text: string): void {
    const shown = visibleLines(text);
    this.stderr.write(`${this.stderr.isTTY ? this.color.dim(`… ${shown}`) : `… ${shown}`}\n`);
  }

  /** Messages and hints can quote what peers printed or a file held: shown with control characters escaped. */
  error(message: string, hint?: string): void {
    this.stderr.write(`lab: ${visibleLines(message)}\n`);
    if (hint) this.stderr.write(`  fix: ${visibleLines(hint)}\n`);
  }

  /** A command that failed: for people on stderr; under --json one object on stdout, where the result would be. */
  failed({ error, fix, exit }: { error: string; fix?: string; exit: number }, json: boolean): void {
    if (json) this.line(JSON.stringify({ error, fix: fix ?? null, exit }));
    else this.error(error, fix);
  }

  /** Clears a terminal screen (watch redraws). */
  clear(): void {
    if (this.tty) this.stdout.write("\u001b[2J\u001b[H");
  }
}

/** Each line made visible, the line breaks kept. */
function visibleLines(text: string): string {
  return text.split("\n").map(visible).join("\n");
}

const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

/** Aligned columns; widths ignore colour codes. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.replace(ANSI_PATTERN, "").length)));
  }
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - cell.replace(ANSI_PATTERN, "").length),
      )
      .join("  ")
      .trimEnd(),
  );
}
