import type { Context } from "../context.js";

/** The peer image (and its base) built ahead, for the compose path and exported compose files: its tag on stdout. */
export async function imageCommand(ctx: Context): Promise<void> {
  const runtime = await ctx.runtime();
  ctx.out.line(await runtime.ensurePeerImage((message) => ctx.out.progress(message)));
}
