import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { installCrashHandler } from "./crash-handler.js";
import type { PeerEventBody } from "./events.js";

function setup(targets: string[]) {
  const events = new EventEmitter();
  const printed: PeerEventBody[] = [];
  const dialled: string[] = [];
  let terminated = 0;
  installCrashHandler(events, {
    targets,
    connect: (target) => dialled.push(target),
    emit: (event) => printed.push(event),
    terminate: () => (terminated += 1),
  });
  return { events, printed, dialled, terminated: () => terminated };
}

describe("installCrashHandler", () => {
  it("on an uncaught exception prints what it does, dials its own targets again and keeps the process", () => {
    const { events, printed, dialled, terminated } = setup(["bob:7000", "carol:7000"]);
    events.emit("uncaughtException", new Error("boom"));
    expect(printed).toEqual([
      { ev: "crash-handler", reason: "uncaught exception: boom", action: "dialling bob:7000, carol:7000 again" },
    ]);
    expect(dialled).toEqual(["bob:7000", "carol:7000"]);
    expect(terminated()).toBe(0);
  });

  it("takes unhandled rejections too", () => {
    const { events, printed } = setup([]);
    events.emit("unhandledRejection", "nope");
    expect(printed).toEqual([
      { ev: "crash-handler", reason: "unhandled rejection: nope", action: "no --connect targets to dial" },
    ]);
  });

  it("on SIGTERM prints and dials, then the peer exits as usual", () => {
    const { events, printed, dialled, terminated } = setup(["bob:7000"]);
    events.emit("SIGTERM");
    expect(printed).toEqual([{ ev: "crash-handler", reason: "SIGTERM", action: "dialling bob:7000 again" }]);
    expect(dialled).toEqual(["bob:7000"]);
    expect(terminated()).toBe(1);
  });
});
