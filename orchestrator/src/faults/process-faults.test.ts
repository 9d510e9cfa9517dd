import { describe, expect, it } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import { changesOutsideLab, statesAt } from "../check/timeline-state.js";
import { buildProgram } from "../cli/program.js";
import type { Context } from "../cli/context.js";
import { loadTopology } from "../topology/load.js";
import { ACTIONS } from "../topology/schema.js";
import type { EngineRecord } from "../transcript/engine.js";
import { mergeTimeline } from "../transcript/transcript.js";
import { PEER_STATUSES } from "./peer-status.js";
import { PROCESS_FAULTS, PROCESS_FAULT_NAMES, actsOn, commandFor } from "./process-faults.js";

const at = (ms: number): string => new Date(Date.UTC(2026, 10, 25, 12, 0, 0, ms)).toISOString();
const noContext = (): Context => {
  throw new Error("no command runs here");
};

/** Every reader of the fault table, checked fault by fault: a fault added as data is a command, a step and a state. */
describe.each(PROCESS_FAULT_NAMES)("the %s fault", (name) => {
  const fault = PROCESS_FAULTS[name];

  it("is a lab command with its help, taking --grace only when graceful", () => {
    const command = buildProgram(noContext).commands.find((c) => c.name() === name)!;
    expect(command.description()).toBe(fault.help);
    expect(command.options.some((option) => option.long === "--grace")).toBe(fault.graceful);
  });

  it("is a scenario step naming one peer", () => {
    expect(ACTIONS).toContain(name);
    const result = loadTopology(
      `name: t\ndescription: d\npeers:\n  alice: {}\n  bob: { connect: [alice] }\nscenario:\n  - ${name}: bob\n  - ${name}: carl\n`,
      "t.yaml",
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      `scenario[1].${name}: unknown peer "carl" (known: alice, bob)`,
    ]);
  });

  it("leaves the peer in its state in the timeline, and the engine's record of it is lab's", () => {
    const listening: PeerEvent = { ts: at(10), peer: "bob", ev: "listening", port: 7000 };
    const changes = fault.engineChanges.map((change, i): EngineRecord => ({
      ts: at(110 + i),
      peer: "engine",
      ev: "container",
      target: "bob",
      change,
      source: "events",
    }));
    const records = mergeTimeline(
      [listening],
      [
        { ts: at(0), action: "up" },
        { ts: at(100), action: name, target: "bob" },
      ],
      [],
    );
    expect(statesAt(["bob"], records, at(105))).toEqual([{ name: "bob", status: fault.leaves }]);
    expect(
      changesOutsideLab(mergeTimeline([listening], [{ ts: at(100), action: name, target: "bob" }], changes)),
    ).toEqual([]);
  });

  it("acts only from its states, and a refused peer is pointed to a command that fits", () => {
    for (const status of PEER_STATUSES)
      expect(actsOn(name, status)).toBe((fault.from as readonly string[]).includes(status));
  });
});

describe("commandFor", () => {
  it("points a refused peer to the command that fits its state", () => {
    expect(commandFor("paused")).toBe("lab resume");
    expect(commandFor("killed")).toBe("lab start");
    expect(commandFor("running")).toBe("lab status");
    expect(commandFor("removed")).toBeUndefined();
  });
});
