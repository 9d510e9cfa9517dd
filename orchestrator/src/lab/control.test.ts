import { afterEach, describe, expect, it } from "vitest";
import { FAST, MemoryLabs, shipped } from "../../../test/support/memory-lab.js";
import { control } from "./control.js";
import type { Lab } from "./lab.js";
import { refusalOf } from "../../../test/support/refusal.js";

const never = new AbortController().signal;

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

const FULL = [["alice", "bob", "carol", "dave"]];

/** Polls the lab until its snapshot holds, for at most 5 s. */
async function until(
  lab: Lab,
  holds: (snapshot: Awaited<ReturnType<Lab["snapshot"]>>) => boolean,
  what: string,
): Promise<void> {
  for (
    const deadline = Date.now() + 5000;
    Date.now() < deadline;
    await new Promise((resolve) => setTimeout(resolve, 50))
  ) {
    if (holds(await lab.snapshot())) return;
  }
  throw new Error(`not within 5 s: ${what}`);
}

async function actions(lab: Lab): Promise<string[]> {
  return (await lab.recording()).actions.map((action) => `${action.action}${action.target ? ` ${action.target}` : ""}`);
}

describe("control on a memory runtime", () => {
  it("kill: the peer dies at once (SIGKILL, exit 137), the chain splits, the journal has it", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const result = await control(lab, "kill", "bob", 5, never);
    expect(result).toMatchObject({
      did: "killed bob (SIGKILL)",
      status: "killed",
      partitionsBefore: FULL,
      partitionsAfter: [["alice"], ["carol", "dave"]],
    });
    expect(result.after.peers.find((peer) => peer.name === "bob")).toMatchObject({
      status: "killed",
      exitCode: 137,
      neighbors: [],
    });
    expect(result.links).toBeUndefined();
    expect(await actions(lab)).toEqual(["up", "kill bob"]);
  });

  it("stop exits the peer cleanly (exit 0); start brings it back to its own --connect target", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const stopped = await control(lab, "stop", "dave", 2, never);
    expect(stopped).toMatchObject({
      did: "stopped dave (SIGTERM, SIGKILL after 2 s)",
      status: "exited (0)",
      partitionsAfter: [["alice", "bob", "carol"]],
    });
    const lines = (await lab.recording()).lines.get("dave")!;
    expect(lines.at(-1)?.event).toMatchObject({ ev: "exit", code: 0, reason: "SIGTERM" });
    const started = await control(lab, "start", "dave", 2, never);
    expect(started).toMatchObject({
      status: "running",
      partitionsAfter: FULL,
      links: [{ link: ["dave", "carol"], back: true }],
    });
  });

  it("restart: a new process dials its own targets again; the link its neighbour dialled stays down, and says why", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const result = await control(lab, "restart", "carol", 2, never);
    expect(result).toMatchObject({
      did: "restarted carol (a new process: it reconnects to its own --connect targets only)",
      status: "running",
      partitionsAfter: [["alice", "bob", "carol"], ["dave"]],
      links: [
        { link: ["carol", "bob"], back: true },
        {
          link: ["dave", "carol"],
          back: false,
          why: "dave dialled it, and a link that went down is not dialled again (peer/PROTOCOL.md §6)",
        },
      ],
    });
    expect(await actions(lab)).toEqual(["up", "restart carol"]);
  });

  it("pause then resume at once: the neighbours kept their links, and resume waits for them", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const paused = await control(lab, "pause", "bob", 5, never);
    expect(paused).toMatchObject({ status: "paused", partitionsAfter: [["alice"], ["carol", "dave"]] });
    const resumed = await control(lab, "resume", "bob", 5, never);
    expect(resumed).toMatchObject({
      did: "resumed bob",
      status: "running",
      partitionsAfter: FULL,
      links: [
        { link: ["bob", "alice"], back: true },
        { link: ["carol", "bob"], back: true },
      ],
    });
  });

  it("a pause longer than the neighbours' timeout: they drop the peer, and resume says why its links stay down", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml", FAST));
    await control(lab, "pause", "bob", 5, never);
    await until(lab, (s) => s.peers.every((peer) => !peer.neighbors.includes("bob")), "alice and carol time bob out");
    const resumed = await control(lab, "resume", "bob", 5, never);
    const why = (other: string): string =>
      `${other} dropped it while bob was paused, and a link that went down is not dialled again (peer/PROTOCOL.md §6)`;
    expect(resumed).toMatchObject({
      status: "running",
      partitionsAfter: [["alice"], ["bob"], ["carol", "dave"]],
      links: [
        { link: ["bob", "alice"], back: false, why: why("alice") },
        { link: ["carol", "bob"], back: false, why: why("carol") },
      ],
    });
    expect(resumed.after.peers.find((peer) => peer.name === "bob")).toMatchObject({ status: "running", neighbors: [] });
  });

  it("refuses an action the peer's state does not allow, or an unknown peer: exit 2 with the command that fits, nothing done", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const refusal = (action: Parameters<typeof control>[1], peer: string) =>
      refusalOf(control(lab, action, peer, 1, never));
    expect(await refusal("resume", "dave")).toEqual({
      type: "InputError",
      message: "cannot resume dave: it is running",
      hint: "try lab status dave",
      exitCode: 2,
    });
    expect(await refusal("start", "alice")).toEqual({
      type: "InputError",
      message: "cannot start alice: it is running",
      hint: "try lab status alice",
      exitCode: 2,
    });
    expect(await refusal("kill", "dav")).toEqual({
      type: "InputError",
      message: 'unknown peer "dav" in lab chain (known: alice, bob, carol, dave)',
      hint: 'did you mean "dave"?',
      exitCode: 2,
    });
    await control(lab, "kill", "bob", 1, never);
    expect(await refusal("pause", "bob")).toMatchObject({
      message: "cannot pause bob: it is killed",
      hint: "try lab start bob",
    });
    expect(await refusal("stop", "bob")).toMatchObject({
      message: "cannot stop bob: it is killed",
      hint: "try lab start bob",
    });
    await control(lab, "pause", "carol", 1, never);
    expect(await refusal("pause", "carol")).toMatchObject({
      message: "cannot pause carol: it is paused",
      hint: "try lab resume carol",
    });
    expect(await actions(lab)).toEqual(["up", "kill bob", "pause carol"]);
  });
});
