import { writeFile } from "node:fs/promises";
import { InputError } from "../../errors.js";
import { describeFsError, isFsError } from "../../lab/results.js";
import { planLab } from "../../plan/plan.js";
import { composeFile } from "../../plan/compose.js";
import { referencePeerImage } from "../../runtime/peer-image.js";
import { loadTopologyOrFail, type Context } from "../context.js";
import type { OptionsOf } from "../program.js";

export async function composeCommand(ctx: Context, file: string, options: OptionsOf<"compose">): Promise<void> {
  const topology = await loadTopologyOrFail(file, ctx.out);
  const text = composeFile(planLab(topology, referencePeerImage()), file);
  if (options.out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFile(options.out, text);
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw new InputError(
      `cannot write ${options.out}: ${describeFsError(error)}`,
      "choose another file with -o, or leave it out to print the compose file",
    );
  }
  ctx.out.line(`wrote ${options.out}: start it with docker compose -f ${options.out} up -d`);
}
