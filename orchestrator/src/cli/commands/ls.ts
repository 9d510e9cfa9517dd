import { Lab } from "../../lab/lab.js";
import type { Context } from "../context.js";
import { table } from "../output.js";
import type { OptionsOf } from "../program.js";

export async function lsCommand(ctx: Context, options: OptionsOf<"ls">): Promise<void> {
  const labs = await Lab.list(await ctx.runtime());
  if (options.json) return ctx.out.json(labs);
  if (labs.length === 0) return ctx.out.line("no labs on this engine; start one with lab up topologies/chain.yaml");
  const c = ctx.out.color;
  ctx.out.lines(
    table([
      [c.bold("LAB"), c.bold("PEERS"), c.bold("RUNNING"), c.bold("DESCRIPTION")],
      ...labs.map((lab) => [lab.name, String(lab.peers), String(lab.running), lab.description ?? ""]),
    ]),
  );
}
