import { setMaxListeners } from "node:events";
import type { Runtime } from "../runtime/runtime.js";
import { toPeerLine, type PeerLine } from "../transcript/transcript.js";

/**
 * Follows the output of peer containers (past lines first unless `newOnly`, then live) until
 * the signal aborts or every container's stream ends. A stream that fails ends quietly: its peer has
 * gone, and the status poll says so.
 */
export async function followPeers(
  runtime: Pick<Runtime, "logs">,
  containers: Map<string, string>,
  onLine: (line: PeerLine) => void,
  signal: AbortSignal,
  newOnly = false,
): Promise<void> {
  // One abort listener per followed container; a 32-peer lab is not a leak.
  setMaxListeners(0, signal);
  await Promise.all(
    [...containers].map(async ([peer, id]) => {
      try {
        for await (const line of runtime.logs(id, { follow: true, signal, newOnly })) onLine(toPeerLine(peer, line));
      } catch (error) {
        if (!signal.aborted)
          onLine({
            peer,
            ts: new Date().toISOString(),
            stream: "stderr",
            text: `(log stream ended: ${(error as Error).message})`,
          });
      }
    }),
  );
}
