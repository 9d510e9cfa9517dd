import { InputError } from "../errors.js";
import { helperLabels, networkLockName } from "../plan/labels.js";
import { NameInUseError, type Runtime } from "../runtime/runtime.js";
import { WaitTimeoutError, waitFor } from "../wait.js";

/** How long a command waits for another's network change to end. */
const LOCK_WAIT_MS = 60_000;
/** A lock older than this was left by a command that died: no network change takes so long. */
const STALE_LOCK_MS = 5 * 60_000;
const POLL_MS = 100;

/**
 * Runs `change` while no other command changes the lab's network faults: each computes every
 * peer's rules from the faults in force, so two at once would each write what it alone knew. The
 * lock is a container name, which the engine keeps unique even when two creates race, so it holds
 * across shells; it is created from the reference peer image (the helpers'), never started, carries the lab's helper labels (a lock left by a
 * killed command goes with `lab down`), and one older than any change is taken over.
 */
export async function withNetworkLock<T>(
  runtime: Pick<Runtime, "ensurePeerImage" | "createContainer" | "listContainers" | "remove">,
  lab: string,
  signal: AbortSignal,
  change: () => Promise<T>,
): Promise<T> {
  const name = networkLockName(lab);
  // The helpers' image, built if it went missing since lab up: the lock is made from it too.
  const image = await runtime.ensurePeerImage(() => {});
  const spec = {
    name,
    image,
    cmd: ["true"],
    labels: helperLabels(lab),
    aliases: [],
    hostname: "lock",
    env: {},
  };
  let id: string;
  try {
    id = await waitFor(
      async () => {
        try {
          return await runtime.createContainer(spec);
        } catch (error) {
          if (!(error instanceof NameInUseError)) throw error;
          const held = (await runtime.listContainers(helperLabels(lab))).find((c) => c.name === name);
          if (held && Date.now() - Date.parse(held.createdAt) > STALE_LOCK_MS)
            await runtime.remove(held.id).catch(() => {});
          return undefined;
        }
      },
      { what: `the network lock of lab ${lab}`, intervalMs: POLL_MS, timeoutMs: LOCK_WAIT_MS, signal },
    );
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    throw new InputError(
      `another lab command has been changing lab ${lab}'s network faults for over ${LOCK_WAIT_MS / 1000} s`,
      `wait for it, or remove its lock: docker rm ${name}`,
    );
  }
  try {
    return await change();
  } finally {
    await runtime.remove(id);
  }
}
