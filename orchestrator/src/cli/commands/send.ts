import { Lab } from "../../lab/lab.js";
import { checkMessageText, send } from "../../lab/send.js";
import type { Context } from "../context.js";

export async function sendCommand(ctx: Context, peer: string, words: string[], options: { lab?: string; json?: boolean }): Promise<void> {
  const text = words.join(" ");
  // Bad input is the user's to fix whether or not an engine answers.
  checkMessageText(text);
  const lab = await Lab.find(await ctx.runtime(), options.lab);
  const result = await send(lab, peer, text);
  if (options.json) {
    ctx.out.json(result);
    return;
  }
  const c = ctx.out.color;
  const others = result.receivedBy.filter((name) => name !== peer);
  const missed = result.reachable.filter((name) => !others.includes(name));
  ctx.out.line(`${peer} sent "${result.text}"${result.id ? c.dim(` (${result.id})`) : ""}`);
  ctx.out.line(`  received by: ${others.length ? c.green(others.join(", ")) : c.yellow("nobody")}`);
  if (result.receivedBy.includes(peer)) ctx.out.line(c.yellow(`  ${peer} received its own message back: the topology has a cycle`));
  if (missed.length) ctx.out.line(c.red(`  not received by ${missed.join(", ")}, though reachable when it was sent`));
  if (result.reachable.length === 0) ctx.out.line(c.dim(`  (${peer} had no live path to anyone)`));
}
