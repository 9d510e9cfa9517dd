import { setMaxListeners } from "node:events";
import type { Runtime } from "../runtime/runtime.js";
import type { PeerLine, PeerLineReader } from "../transcript/transcript.js";

/** A peer's container to follow, and how its lines are read (none: the lines alone, no events). */
export interface FollowedPeer {
  id: string;
  reader?: PeerLineReader;
}

/**
 * Follows the output of peer containers (past lines first unless `newOnly`, then live) until
 * the signal aborts or every container's stream ends. A stream that fails ends quietly: its peer has
 * gone, and the status poll says so.
 */
export async function followPeers(
  runtime: Pick<Runtime, "logs">,
  containers: Map<string, FollowedPeer>,
  onLine: (line: PeerLine) => void,
  signal: AbortSignal,
  newOnly = false,
): Promise<void> {
  // One abort listener per followed container; a 32-peer lab is not a leak.
  setMaxListeners(0, signal);
  await Promise.all(
    [...containers].map(async ([peer, { id, reader }]) => {
      try {
        for await (const line of runtime.logs(id, { follow: true, signal, newOnly }))
          onLine(reader ? reader.read(line) : { peer, ...line });
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
