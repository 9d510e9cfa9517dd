import { Lab } from "../../lab/lab.js";
import { checkResultsDir } from "../../lab/results.js";
import { saveTranscripts } from "../../transcript/transcript.js";
import type { Context } from "../context.js";
import type { OptionsOf } from "../program.js";

export async function transcriptsCommand(
  ctx: Context,
  labName: string | undefined,
  options: OptionsOf<"transcripts">,
): Promise<void> {
  await checkResultsDir(options.out, { what: "transcripts", flag: "--out" });
  const lab = await Lab.find(await ctx.runtime(), labName);
  const files = await saveTranscripts(options.out, await lab.recording());
  if (options.json) return ctx.out.json({ dir: options.out, files });
  ctx.out.line(`wrote ${files.length} files to ${options.out}: ${files.join(", ")}`);
}
