import { afterEach, describe, expect, it } from "vitest";
import { CountingRuntime } from "../../../test/support/counting-runtime.js";
import { MemoryLabs, shipped, upOptions } from "../../../test/support/memory-lab.js";
import { waitFor } from "../wait.js";
import { createdSince } from "./lab.js";
import { PeerStates } from "./peer-states.js";
import { up } from "./up.js";

const never = new AbortController().signal;
const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

describe("a lab's peer containers kept by the engine's events", () => {
  it("follows a kill and a start done behind its back, telling the start it had not read and re-reading only that peer", async () => {
    const counting = new CountingRuntime(labs.runtime());
    const { lab } = await up(counting.runtime, shipped("topologies/chain.yaml"), upOptions());
    const { peers } = await lab.containers();
    const bob = peers.get("bob")!;
    const starts: string[] = [];
    counting.reset();
    const states = new PeerStates(counting.runtime, lab.name, peers, createdSince(peers), (peer) => starts.push(peer));
    const bobIs = (check: (info: typeof bob) => boolean) =>
      waitFor(() => check(states.current().get("bob")!) || undefined, {
        what: "bob's state",
        intervalMs: 10,
        timeoutMs: 5000,
        signal: never,
      });
    try {
      await lab.runtime.kill(bob.id, "SIGKILL");
      await bobIs((info) => info.state === "exited" && info.address === undefined && info.exitCode === 137);
      await lab.runtime.start(bob.id);
      await bobIs((info) => info.state === "running" && info.address !== undefined);
      // The starts replayed from before the read are not news; the other peers are not asked about.
      expect(starts).toEqual(["bob"]);
      expect(counting.calls).toEqual({ containerEvents: 1, kill: 1, start: 1, inspect: 1 });
      expect(states.current().get("alice")).toEqual(peers.get("alice"));
    } finally {
      await states.close();
    }
  });
});
