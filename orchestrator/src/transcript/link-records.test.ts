import { describe, expect, it } from "vitest";
import { encodeAction } from "./journal.js";
import {
  describeLinkRecord,
  encodeLinkRecord,
  mergeLinkRecords,
  nextLinkRecord,
  parseLinkRecord,
  type LinkRecord,
} from "./link-records.js";

const TS = "2026-11-25T12:00:01.000Z";
const first = nextLinkRecord(undefined, "2026-11-25T12:00:00.000Z", "bob", {
  source: "tcp-table",
  neighbors: ["alice", "carol"],
})!;

describe("nextLinkRecord", () => {
  it("records a peer's first observation whole, even with no links", () => {
    expect(first).toEqual({
      ts: "2026-11-25T12:00:00.000Z",
      peer: "lab",
      ev: "links",
      target: "bob",
      neighbors: ["alice", "carol"],
      up: ["alice", "carol"],
      down: [],
      source: "tcp-table",
    });
    expect(nextLinkRecord(undefined, TS, "dave", { source: "tcp-table", neighbors: [] })).toMatchObject({
      neighbors: [],
      up: [],
      down: [],
    });
  });

  it("records nothing when nothing changed", () => {
    expect(nextLinkRecord(first, TS, "bob", { source: "tcp-table", neighbors: ["alice", "carol"] })).toBeUndefined();
  });

  it("says what came up and went down since the peer's previous record", () => {
    expect(nextLinkRecord(first, TS, "bob", { source: "tcp-table", neighbors: ["carol", "dave"] })).toMatchObject({
      ts: TS,
      neighbors: ["carol", "dave"],
      up: ["dave"],
      down: ["alice"],
    });
  });

  it("records a change of source or of its reason even when the links are the same", () => {
    const guessed = nextLinkRecord(first, TS, "bob", {
      source: "configured",
      neighbors: ["alice", "carol"],
      reason: "no cat",
    });
    expect(guessed).toMatchObject({ up: [], down: [], source: "configured", reason: "no cat" });
    expect(
      nextLinkRecord(guessed, TS, "bob", { source: "configured", neighbors: ["alice", "carol"], reason: "no image" }),
    ).toMatchObject({ reason: "no image" });
  });
});

describe("parseLinkRecord", () => {
  it("reads back what was journalled, and nothing else the journal holds", () => {
    expect(parseLinkRecord(encodeLinkRecord(first))).toEqual(first);
    expect(parseLinkRecord(encodeAction({ ts: TS, action: "up" }))).toBeUndefined();
    expect(parseLinkRecord("not json")).toBeUndefined();
    expect(parseLinkRecord(JSON.stringify({ ...first, source: "events" }))).toBeUndefined();
  });
});

describe("mergeLinkRecords", () => {
  it("keeps each record once, by time, whether the journal or this process has it", () => {
    const later: LinkRecord = { ...first, ts: TS, neighbors: [], up: [], down: ["alice", "carol"] };
    expect(mergeLinkRecords([later], [first, later])).toEqual([first, later]);
  });
});

describe("describeLinkRecord", () => {
  it("says whose table, what changed and what holds now", () => {
    expect(describeLinkRecord(first)).toBe("lab: bob's TCP table: links up alice, carol; now alice, carol");
    expect(describeLinkRecord({ ...first, neighbors: [], up: [], down: ["alice", "carol"] })).toBe(
      "lab: bob's TCP table: links down alice, carol; now none",
    );
  });

  it("says when the links are a guess from the configuration, and why", () => {
    expect(describeLinkRecord({ ...first, up: [], source: "configured", reason: "no cat" })).toBe(
      "lab: bob's configured links to running peers (no cat): links unchanged; now alice, carol",
    );
  });
});
