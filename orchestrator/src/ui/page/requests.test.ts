import { describe, expect, it } from "vitest";
import { networkRequest, processActions } from "./requests.js";

describe("processActions", () => {
  it("offers what acts on the peer's state, in the CLI's order", () => {
    expect(processActions("running")).toEqual(["kill", "stop", "pause", "restart"]);
    expect(processActions("paused")).toEqual(["kill", "stop", "resume", "restart"]);
    expect(processActions("killed")).toEqual(["restart", "start"]);
    expect(processActions("removed")).toEqual([]);
  });
});

describe("networkRequest", () => {
  it("takes the CLI's words, with or without a leading lab", () => {
    expect(networkRequest("partition alice,bob / carol")).toEqual({
      action: "partition",
      args: ["alice,bob", "/", "carol"],
    });
    expect(networkRequest("  lab cut bob  carol --one-way ")).toEqual({
      action: "cut",
      args: ["bob", "carol", "--one-way"],
    });
    expect(networkRequest("heal")).toEqual({ action: "heal", args: [] });
  });

  it("refuses an empty line and a word that is no network fault, naming those that are", () => {
    expect(networkRequest("  ")).toEqual({ error: expect.stringContaining("partition alice,bob / carol") });
    expect(networkRequest("kill bob")).toEqual({
      error: '"kill" is not a network fault (known: partition, heal, cut, link, loss, delay, rate)',
    });
  });
});
