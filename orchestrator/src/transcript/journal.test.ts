import { describe, expect, it } from "vitest";
import { mergeActions, type Action } from "./journal.js";

describe("mergeActions", () => {
  it("keeps this process's own actions when the journal lost them, each action once, by time", () => {
    const up: Action = { ts: "2026-11-25T12:00:00.000Z", action: "up", detail: "t.yaml" };
    const send: Action = { ts: "2026-11-25T12:00:01.000Z", action: "send", target: "alice", detail: "hi" };
    const kill: Action = { ts: "2026-11-25T12:00:02.000Z", action: "kill", target: "bob" };
    // The journal (read back from its log) holds up and send; kill was done after it was removed.
    const journalled = [JSON.parse(JSON.stringify(up)) as Action, JSON.parse(JSON.stringify(send)) as Action];
    expect(mergeActions(journalled, [kill, send, up])).toEqual([up, send, kill]);
    expect(mergeActions([], [kill, up])).toEqual([up, kill]);
  });
});
