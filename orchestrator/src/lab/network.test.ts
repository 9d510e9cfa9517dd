import { afterEach, describe, expect, it } from "vitest";
import { FAST, MemoryLabs, shipped, topologyFrom } from "../../../test/support/memory-lab.js";
import { refusalOf } from "../../../test/support/refusal.js";
import { control } from "./control.js";
import type { Lab } from "./lab.js";
import { networkFault } from "./network.js";
import { networkStateAfter } from "../check/timeline-state.js";
import { typeMessage } from "./send.js";
import { recordingEvents } from "./lab.js";
import { waitFor } from "../wait.js";
import type { NetworkRules } from "../runtime/runtime.js";

const never = new AbortController().signal;
const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

/** The peers that showed a message so far. */
async function shownBy(lab: Lab, id: string): Promise<string[]> {
  return [
    ...new Set(
      recordingEvents(await lab.recording()).flatMap((event) =>
        event.ev === "recv" && event.id === id ? [event.peer] : [],
      ),
    ),
  ];
}

async function linkDown(lab: Lab, peer: string, neighbor: string): Promise<string> {
  return waitFor(
    async () => {
      const event = recordingEvents(await lab.recording()).find(
        (e) => e.ev === "link-down" && e.peer === peer && e.neighbor === neighbor,
      );
      return event?.ev === "link-down" ? event.reason : undefined;
    },
    { what: `${peer}'s link to ${neighbor} down`, intervalMs: 50, timeoutMs: 5000, signal: never },
  );
}

describe("network faults on a memory runtime", () => {
  it("a partition drops traffic silently: the bridge link times out, each side still talks, heal leaves it closed", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml", FAST));
    const result = await networkFault(lab, { kind: "partition", groups: [["alice", "bob"]] }, never);
    expect(result).toMatchObject({
      did: "partitioned the network: {alice, bob} / {carol, dave}",
      inForce: ["partition {alice, bob} / {carol, dave}"],
      changed: ["alice", "bob", "carol", "dave"],
      waiting: [],
    });
    // No EOF, no reset: the heartbeat is what notices.
    expect(await linkDown(lab, "carol", "bob")).toBe("timeout");
    const west = await typeMessage(lab, "alice", "west", never);
    await waitFor(async () => ((await shownBy(lab, west.id)).includes("bob") ? true : undefined), {
      what: "bob shows west",
      intervalMs: 50,
      timeoutMs: 3000,
      signal: never,
    });
    expect(await shownBy(lab, west.id)).toEqual(["bob"]);
    const healed = await networkFault(lab, { kind: "heal" }, never);
    expect(healed.inForce).toEqual([]);
    expect(networkStateAfter((await lab.recording()).actions)).toMatchObject({ cuts: [], loss: [] });
    expect((await lab.recording()).actions.map((a) => a.action)).toEqual(["up", "partition", "send", "heal"]);
  });

  it("a one-way cut: alice's packets never reach bob, and the link dies of it", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml", FAST));
    const result = await networkFault(lab, { kind: "cut", from: "alice", to: "bob", oneWay: true }, never);
    expect(result.did).toBe("cut alice → bob (one way)");
    expect(result.changed).toEqual(["bob"]);
    expect(await linkDown(lab, "bob", "alice")).toBe("timeout");
  });

  it("refuses unknown peers, a peer paired with itself, and groups that are no partition, before doing anything", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    expect(
      await refusalOf(networkFault(lab, { kind: "cut", from: "alice", to: "bobb", oneWay: false }, never)),
    ).toEqual({
      type: "InputError",
      message: 'unknown peer "bobb" in lab chain (known: alice, bob, carol, dave)',
      hint: 'did you mean "bob"?',
      exitCode: 2,
    });
    expect(
      (await refusalOf(networkFault(lab, { kind: "link", from: "bob", to: "bob", oneWay: false }, never)))?.message,
    ).toBe("cannot link bob and itself: name two peers");
    expect(
      (await refusalOf(networkFault(lab, { kind: "partition", groups: [["alice", "bob", "carol", "dave"]] }, never)))
        ?.message,
    ).toBe("cannot partition lab chain: every peer is in one group: a partition needs at least two");
    expect(
      (await refusalOf(networkFault(lab, { kind: "loss", peer: "bob", percent: 5, to: "bob" }, never)))?.message,
    ).toBe("--to bob is the peer itself: name another peer");
    expect((await lab.recording()).actions.map((a) => a.action)).toEqual(["up"]);
  });

  it("without netem, the reference peer delays its own frames, and the fault says so", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const result = await networkFault(lab, { kind: "delay", peer: "bob", ms: 300, jitterMs: 0, to: "carol" }, never);
    expect(result.fault).toMatchObject({ mechanism: "peer" });
    expect(result.did).toBe("bob's packets to carol are held 300ms (inside the peer: this kernel has no netem)");
    expect(result.note).toMatch(/holds its own outgoing frames/);
    const events = recordingEvents(await lab.recording()).filter((event) => event.ev === "delay");
    expect(events).toMatchObject([
      { peer: "bob", neighbor: "*", ms: 0 },
      { peer: "bob", neighbor: "carol", ms: 300 },
    ]);
  });

  it("a paused reference peer is told its delays when it is resumed: the delay, and after a heal, none", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const delayEvents = async () =>
      recordingEvents(await lab.recording()).flatMap((e) => (e.ev === "delay" && e.peer === "bob" ? [e.ms] : []));
    const untilDelays = (count: number) =>
      waitFor(async () => ((await delayEvents()).length >= count ? await delayEvents() : undefined), {
        what: `${count} delay events of bob`,
        intervalMs: 50,
        timeoutMs: 5000,
        signal: never,
      });
    await control(lab, "pause", "bob", 1, never);
    const result = await networkFault(lab, { kind: "delay", peer: "bob", ms: 200, jitterMs: 0 }, never);
    expect(result.inForce).toEqual(["delay 200ms on bob (inside the peer: this kernel has no netem)"]);
    expect(result.waiting).toEqual(["bob"]);
    await control(lab, "resume", "bob", 1, never);
    expect(await untilDelays(1)).toEqual([200]);
    await control(lab, "pause", "bob", 1, never);
    expect((await networkFault(lab, { kind: "heal" }, never)).waiting).toEqual(["bob"]);
    await control(lab, "resume", "bob", 1, never);
    expect(await untilDelays(2)).toEqual([200, 0]);
  });

  it("heal clears every namespace, those whose rules the journal no longer explains too: a cut peer that was stopped links again", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml", FAST));
    await networkFault(lab, { kind: "cut", from: "carol", to: "dave", oneWay: false }, never);
    await control(lab, "stop", "dave", 1, never);
    const healed = await networkFault(lab, { kind: "heal" }, never);
    expect(healed.changed).toEqual(["alice", "bob", "carol"]);
    const started = await control(lab, "start", "dave", 1, never);
    expect(started.links).toEqual([{ link: ["dave", "carol"], back: true }]);
  });

  it("a change cut short is journalled first, so heal undoes what it did", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const apply = lab.runtime.applyNetworkRules.bind(lab.runtime);
    let calls = 0;
    lab.runtime.applyNetworkRules = async (...args) => {
      if (++calls === 3) throw new Error("the helper died");
      return apply(...args);
    };
    await expect(networkFault(lab, { kind: "partition", groups: [["alice", "bob"]] }, never)).rejects.toThrow(
      "the helper died",
    );
    expect(networkStateAfter(await lab.actions()).partition).toEqual([
      ["alice", "bob"],
      ["carol", "dave"],
    ]);
    const applied: string[] = [];
    lab.runtime.applyNetworkRules = async (id, rules, labels) => {
      applied.push(`${id}:${rules.dropFrom.length + rules.lossFrom.length}`);
      return apply(id, rules, labels);
    };
    expect((await networkFault(lab, { kind: "heal" }, never)).changed).toEqual(["alice", "bob", "carol", "dave"]);
    expect(applied.every((entry) => entry.endsWith(":0"))).toBe(true);
  });

  it("two changes at once wait for each other: each namespace ends with both", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    const last = new Map<string, NetworkRules>();
    const apply = lab.runtime.applyNetworkRules.bind(lab.runtime);
    lab.runtime.applyNetworkRules = async (id, rules, labels) => {
      last.set(id, rules);
      return apply(id, rules, labels);
    };
    await Promise.all([
      networkFault(lab, { kind: "cut", from: "alice", to: "bob", oneWay: false }, never),
      networkFault(lab, { kind: "loss", peer: "bob", percent: 30 }, never),
    ]);
    const [alice, bob] = [await lab.peer("alice"), await lab.peer("bob")];
    expect(last.get(alice.id)).toMatchObject({
      dropFrom: [bob.address],
      lossFrom: [{ percent: 30, from: bob.address }],
    });
  });

  it("link of a pair that is not cut is refused, with what does separate them", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    expect(
      await refusalOf(networkFault(lab, { kind: "link", from: "alice", to: "bob", oneWay: false }, never)),
    ).toMatchObject({
      message: "nothing to restore: alice ↔ bob is not cut",
      hint: "lab status shows the network faults in force",
    });
    await networkFault(lab, { kind: "partition", groups: [["alice"]] }, never);
    expect(
      await refusalOf(networkFault(lab, { kind: "link", from: "alice", to: "bob", oneWay: true }, never)),
    ).toMatchObject({
      message: "nothing to restore: alice → bob is not cut",
      hint: "the partition separates them: lab heal removes it",
    });
  });

  it("without netem, a program that is not the reference peer cannot be delayed: lab says so and does nothing", async () => {
    const topology = topologyFrom(
      "name: c\ndefaults:\n  command: [chat, '{port}', '{connect}']\n  interface: { events: stdio, ready: 'listening', send: '{text}' }\npeers:\n  alice: {}\n  bob: { connect: [alice] }\n",
    );
    const lab = {
      name: "c",
      topology,
      peerNames: ["alice", "bob"],
      runtime: { netemAvailable: async () => false },
    } as unknown as Lab;
    expect(await refusalOf(networkFault(lab, { kind: "delay", peer: "bob", ms: 100, jitterMs: 0 }, never))).toEqual({
      type: "EnvironmentError",
      message:
        "cannot delay bob's packets: this kernel has no netem (sch_netem), and bob is not the reference peer, which can hold its own frames instead",
      hint: "load netem on the engine's host (modprobe sch_netem), or use lab loss and lab rate, which work without it",
      exitCode: 3,
    });
  });

  it("a restarted peer gets the faults in force back: its new process is still cut off", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml", FAST));
    await networkFault(lab, { kind: "partition", groups: [["alice"]] }, never);
    await networkFault(lab, { kind: "delay", peer: "bob", ms: 100, jitterMs: 0 }, never);
    const restarted = await control(lab, "restart", "bob", 1, never);
    expect(restarted.links).toEqual([
      { link: ["bob", "alice"], back: false, why: "the network drops packets between bob and alice (lab heal)" },
      {
        link: ["carol", "bob"],
        back: false,
        why: "carol dialled it, and a link that went down is not dialled again (peer/PROTOCOL.md §6)",
      },
    ]);
    expect(await linkDown(lab, "alice", "bob")).toBe("timeout");
    const delays = recordingEvents(await lab.recording()).filter(
      (event) => event.ev === "delay" && event.peer === "bob",
    );
    // Once before the restart, once for the new process.
    expect(delays.filter((event) => event.ev === "delay" && event.ms === 100)).toHaveLength(2);
  });
});
