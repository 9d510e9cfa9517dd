import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";
import { parsePeerArgs } from "./options.js";

describe("parsePeerArgs", () => {
  it("applies the defaults", () => {
    expect(parsePeerArgs(["--name", "alice"], false)).toEqual({
      name: "alice",
      port: 7000,
      connect: [],
      mode: "tree",
      events: "json",
      hopLimit: 16,
      heartbeatMs: 1000,
      timeoutMs: 3000,
      connectWindowMs: 30_000,
      seenMaxEntries: 10_000,
      seenMaxAgeMs: 60_000,
      graftTimeoutMs: 500,
      minNeighbours: 2,
      crashHandler: false,
    });
    expect(parsePeerArgs(["--name", "alice"], true)).toMatchObject({ events: "text" });
  });

  it("takes repeated --connect and the dedup mode", () => {
    expect(
      parsePeerArgs(["--name", "b", "--connect", "a:7000", "--connect", "c:7000", "--mode", "dedup"], false),
    ).toMatchObject({
      connect: ["a:7000", "c:7000"],
      mode: "dedup",
    });
  });

  it("takes the heal mode", () => {
    expect(parsePeerArgs(["--name", "b", "--mode", "heal", "--graft-timeout", "2s"], false)).toMatchObject({
      mode: "heal",
      graftTimeoutMs: 2000,
    });
    expect(parsePeerArgs(["--name", "b", "--graft-timeout", "0ms"], false)).toBe(
      '--graft-timeout "0ms": must be longer than zero',
    );
  });

  it("explains bad arguments", () => {
    expect(parsePeerArgs([], false)).toBe("--name is required");
    expect(parsePeerArgs(["--name", "a", "--mode", "flood"], false)).toBe(
      '--mode "flood": expected tree, dedup or heal',
    );
    expect(parsePeerArgs(["--name", "a", "--port", "70000"], false)).toBe(
      '--port "70000": expected an integer from 0 to 65535',
    );
    expect(parsePeerArgs(["--name", "a", "--timeout", "soon"], false)).toBe(
      '--timeout "soon": expected a duration such as 500ms, 2s or 1m',
    );
    expect(parsePeerArgs(["--name", "a", "--heartbeat", "2s", "--timeout", "1s"], false)).toBe(
      "--timeout (1s) must be longer than --heartbeat (2s)",
    );
    expect(parsePeerArgs(["--name", "a b"], false)).toMatch(/^--name "a b": use letters/);
    expect(parsePeerArgs(["--name", "a", "--colour"], false)).toMatch(/Unknown option '--colour'/);
  });

  it("takes heal mode with its flags, and --crash-handler in any mode", () => {
    expect(
      parsePeerArgs(["--name", "a", "--mode", "heal", "--min-neighbours", "3", "--advertise", "a.lab:7001"], false),
    ).toMatchObject({ mode: "heal", minNeighbours: 3, advertise: "a.lab:7001", crashHandler: false });
    expect(parsePeerArgs(["--name", "a", "--crash-handler"], false)).toMatchObject({
      mode: "tree",
      crashHandler: true,
    });
    expect(parsePeerArgs(["--name", "a", "--mode", "dedup", "--min-neighbours", "3"], false)).toBe(
      "--min-neighbours applies to --mode heal only (this is --mode dedup)",
    );
    expect(parsePeerArgs(["--name", "a", "--mode", "heal", "--min-neighbours", "0"], false)).toBe(
      '--min-neighbours "0": expected an integer from 1 to 64',
    );
    for (const bad of ["a", "a:0", "a:70000", "a b:7000", ":7000"]) {
      expect(parsePeerArgs(["--name", "a", "--advertise", bad], false)).toBe(
        `--advertise "${bad}": expected HOST:PORT in plain ASCII, e.g. alice:7000`,
      );
    }
  });

  it("answers --help", () => {
    expect(parsePeerArgs(["--help"], false)).toEqual({ help: true });
  });
});

describe("parseDuration", () => {
  it("reads the units", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2s")).toBe(2000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("1m")).toBe(60_000);
    expect(parseDuration("2")).toBeUndefined();
    expect(parseDuration("-1s")).toBeUndefined();
  });
});
