import { writeFile } from "node:fs/promises";
import { planLab } from "../../plan/plan.js";
import { composeFile } from "../../plan/compose.js";
import { referencePeerImage } from "../../runtime/peer-image.js";
import { loadTopologyOrFail, type Context } from "../context.js";

export async function composeCommand(ctx: Context, file: string, options: { out?: string }): Promise<void> {
  const topology = await loadTopologyOrFail(file, ctx.out);
  const text = composeFile(planLab(topology, referencePeerImage()), file);
  if (options.out === undefined) {
    process.stdout.write(text);
    return;
  }
  await writeFile(options.out, text);
  ctx.out.line(`wrote ${options.out}: start it with docker compose -f ${options.out} up -d`);
}
