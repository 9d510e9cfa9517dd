import { Lab } from "../../lab/lab.js";
import { checkMessageText, send } from "../../lab/send.js";
import type { Context } from "../context.js";
import { renderSendResult } from "../render.js";
import type { OptionsOf } from "../program.js";

export async function sendCommand(
  ctx: Context,
  peer: string,
  words: string[],
  options: OptionsOf<"send">,
): Promise<void> {
  const text = words.join(" ");
  // Bad input is the user's to fix whether or not an engine answers.
  checkMessageText(text);
  const lab = await Lab.find(await ctx.runtime(), options.lab);
  const result = await send(lab, peer, text, ctx.signal);
  if (options.json) {
    ctx.out.json(result);
    return;
  }
  ctx.out.lines(renderSendResult(result, ctx.out.color));
}
