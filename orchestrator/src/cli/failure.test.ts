import { CommanderError } from "@commander-js/extra-typings";
import { describe, expect, it } from "vitest";
import { CheckFailedError, EnvironmentError, InputError } from "../errors.js";
import { failureOf, wantsJson } from "./failure.js";
import { buildProgram } from "./program.js";

describe("failureOf: what a command that threw exits with, and says", () => {
  it("an unexpected exception is a bug in p2plab: exit 70 (EX_SOFTWARE), never 1, which is a failed check", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'map')");
    expect(failureOf(bug, undefined, false)).toEqual({
      exit: 70,
      said: {
        error: "internal error, a bug in p2plab: Cannot read properties of undefined (reading 'map')",
        fix: "please report it with the command you ran",
      },
      stack: bug.stack,
    });
    expect(failureOf("a string thrown", undefined, true)).toMatchObject({
      exit: 70,
      said: { error: "internal error, a bug in p2plab: a string thrown" },
    });
  });

  it("a LabError: its own code, message and fix", () => {
    expect(failureOf(new CheckFailedError("the run failed", "read report.html"), undefined, false)).toEqual({
      exit: 1,
      said: { error: "the run failed", fix: "read report.html" },
    });
    expect(failureOf(new InputError("unknown peer"), undefined, false)).toEqual({
      exit: 2,
      said: { error: "unknown peer" },
    });
    expect(failureOf(new EnvironmentError("no engine", "start it"), undefined, true)).toEqual({
      exit: 3,
      said: { error: "no engine", fix: "start it" },
    });
  });

  it("after a signal: the signal's code; what a signal cut short is no bug", () => {
    expect(failureOf(new InputError("interrupted"), "SIGINT", false)).toEqual({
      exit: 130,
      said: { error: "interrupted" },
    });
    expect(failureOf(new DOMException("This operation was aborted", "AbortError"), "SIGTERM", false)).toEqual({
      exit: 143,
    });
    expect(failureOf(new DOMException("This operation was aborted", "AbortError"), "SIGINT", true)).toEqual({
      exit: 130,
      said: { error: "stopped by SIGINT" },
    });
  });

  it("a usage error: exit 2, said by commander itself, or here under --json", () => {
    const usage = new CommanderError(1, "commander.unknownOption", "error: unknown option '--bogus'");
    expect(failureOf(usage, undefined, false)).toEqual({ exit: 2 });
    expect(failureOf(usage, undefined, true)).toEqual({
      exit: 2,
      said: { error: "unknown option '--bogus'", fix: "run lab --help for the commands" },
    });
    expect(failureOf(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"), undefined, true)).toEqual({
      exit: 0,
    });
  });
});

describe("wantsJson", () => {
  const { commands } = buildProgram(() => {
    throw new Error("no command runs here");
  });

  it("is asked for by --json anywhere before --, of a command that has it", () => {
    expect(wantsJson(commands, ["status", "--json"])).toBe(true);
    expect(wantsJson(commands, ["send", "--json", "alice", "hi"])).toBe(true);
    expect(wantsJson(commands, ["watch", "--json"])).toBe(true);
  });

  it("is not asked for after --, nor of a command without --json", () => {
    expect(wantsJson(commands, ["send", "alice", "--", "--json"])).toBe(false);
    expect(wantsJson(commands, ["report", "results/latest", "--json"])).toBe(false);
    expect(wantsJson(commands, ["--json"])).toBe(false);
    expect(wantsJson(commands, ["status"])).toBe(false);
  });
});
