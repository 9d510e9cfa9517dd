import { isIP } from "node:net";
import { InputError } from "../../errors.js";
import { Lab } from "../../lab/lab.js";
import { startUiServer } from "../../ui/server.js";
import { untilAborted } from "../../wait.js";
import type { Context } from "../context.js";
import type { OptionsOf } from "../program.js";
import { uiAction } from "../ui-actions.js";

/**
 * Serves a live page of the lab until Ctrl-C, which stops the server and leaves the lab
 * running. The URL is stdout's first line (a script or test reads it there); nothing is opened.
 */
export async function uiCommand(ctx: Context, labName: string | undefined, options: OptionsOf<"ui">): Promise<void> {
  const port = portNumber(options.port);
  const host = hostAddress(options.host);
  const lab = await Lab.find(await ctx.runtime(), labName);
  const server = await startUiServer({
    lab,
    host,
    port,
    signal: ctx.signal,
    resultsDir: options.results,
    act: (request, signal) => uiAction(lab, request, signal),
  });
  ctx.out.line(server.url);
  // Once it listens there: an address it cannot listen on gets its error alone.
  if (!isLoopback(host)) {
    ctx.out.progress(
      `warning: listening on ${host}: anyone who can reach it can kill, stop and restart the peers of lab ${lab.name}, and send as them`,
    );
  }
  ctx.out.progress(`serving lab ${lab.name}; Ctrl-C stops serving and leaves the lab running`);
  // The pages say so; this terminal too, or a lab brought up again under this name would seem followed.
  void server.ended.then((message) => {
    if (message) ctx.out.progress(`${message}; the pages say so. Ctrl-C stops serving; run lab ui again for a new lab`);
  });
  await untilAborted(ctx.signal);
  await server.close();
}

/** Digits only: Number() would take "0x50" as 80, "1e3" as 1000 and "" as 0. */
export function portNumber(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new InputError(`--port ${text} is not a port`, "give a number from 1 to 65535, or 0 for a free one");
  }
  return port;
}

/** An IPv6 address as a URL writes it, [::1], is the address inside the brackets. */
export function hostAddress(text: string): string {
  return /^\[(.*)\]$/.exec(text)?.[1] ?? text;
}

/** Whether only this machine can reach an address: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}
