import { stripTerminalCodes } from "../terminal-codes.js";
import type { BuildFailure } from "./peer-image.js";
import type { ImageBuildProgress } from "./runtime.js";

/**
 * A build's output, followed: each step is a progress line (its own chatter is noise then), and
 * the current step's last lines are kept, so that a failure can quote what the failing step said.
 */
export class BuildSteps {
  private step: string | undefined;
  private output: string[] = [];
  private pending = "";

  constructor(private readonly progress: ImageBuildProgress) {}

  read(text: string): void {
    const lines = (this.pending + text).split("\n");
    this.pending = lines.pop()!;
    // The engine colours what a step prints on stderr.
    for (const line of lines.map((raw) => stripTerminalCodes(raw).trimEnd())) {
      if (/^Step \d+\/\d+ : /.test(line)) {
        this.step = line;
        this.output = [];
        this.progress(line.length > 100 ? `${line.slice(0, 99)}…` : line);
      } else if (line !== "" && !BUILDER_CHATTER.test(line)) {
        this.output.push(line);
        if (this.output.length > QUOTED_BUILD_LINES) this.output.shift();
      }
    }
  }

  /** The build ended with this error: the failing step and its last lines, an unfinished last line included. */
  failure(error: string): BuildFailure {
    const last = stripTerminalCodes(this.pending).trimEnd();
    const output = last === "" ? this.output : [...this.output, last].slice(-QUOTED_BUILD_LINES);
    return { error, output, ...(this.step ? { step: this.step } : {}) };
  }
}

/** The legacy builder's own lines between a step's output: layers, intermediate containers. */
const BUILDER_CHATTER = /^( ---> |Removing intermediate container |Successfully (built|tagged) )/;
/** How much of a failing step's output an error quotes: enough for a compiler's error and its context. */
const QUOTED_BUILD_LINES = 20;
