import { describe, expect, it } from "vitest";
import { drawGraph } from "./text-graph.js";

const nodes = (...names: string[]) => names.map((name) => ({ name }));

describe("drawGraph", () => {
  it("draws a chain on one line, from an end", () => {
    expect(
      drawGraph(nodes("alice", "bob", "carol", "dave"), [
        ["bob", "alice"],
        ["carol", "bob"],
        ["dave", "carol"],
      ]),
    ).toEqual(["alice ── bob ── carol ── dave"]);
  });

  it("draws each partition on its own, with marks", () => {
    expect(
      drawGraph(
        [{ name: "alice" }, { name: "bob", mark: "✕ killed" }, { name: "carol" }, { name: "dave" }],
        [["carol", "dave"]],
      ),
    ).toEqual(["alice", "bob ✕ killed", "carol ── dave"]);
  });

  it("draws a star as a tree from its hub", () => {
    expect(
      drawGraph(nodes("hub", "a", "b", "c"), [
        ["a", "hub"],
        ["b", "hub"],
        ["c", "hub"],
      ]),
    ).toEqual(["hub", "├── a", "├── b", "└── c"]);
  });

  it("lists the links a ring's spanning tree leaves out", () => {
    expect(
      drawGraph(nodes("a", "b", "c", "d"), [
        ["a", "b"],
        ["b", "c"],
        ["c", "d"],
        ["d", "a"],
      ]),
    ).toEqual(["a", "├── b", "│   └── c", "└── d", "(also linked: c ── d)"]);
  });
});
