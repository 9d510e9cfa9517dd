import { afterEach, describe, expect, it, vi } from "vitest";
import type { PeerEvent } from "../../../peer/src/events.js";
import { Peer } from "../../../peer/src/peer.js";
import { MemoryLabs, shipped, topologyFrom } from "../../../test/support/memory-lab.js";
import { foreignMessageId } from "../adapter/stdio-adapter.js";
import type { LogLine } from "../runtime/runtime.js";
import { WaitTimeoutError } from "../wait.js";
import { control } from "./control.js";
import { send, typeMessage, type TypingLab } from "./send.js";
import { runningContainer } from "../../../test/support/containers.js";
import { refusalOf } from "../../../test/support/refusal.js";

/**
 * A lab of one reference peer, alice, without an engine: what is written to her "container's"
 * stdin goes to a real Peer's input, and her events are her log. `someoneElse` is a line another
 * typist gets in just before each line the lab writes.
 */
function labOfAlice(someoneElse?: string): TypingLab & { typed: string[] } {
  return labOf(someoneElse);
}

/** As labOfAlice; `deaf`: alice's stdin goes nowhere, as with a peer that does not take /send (her log stays empty). */
function labOf(someoneElse?: string, deaf = false): TypingLab & { typed: string[] } {
  const log: LogLine[] = [];
  const typed: string[] = [];
  const alice = new Peer({
    name: "alice",
    port: 0,
    mode: "dedup",
    hopLimit: 16,
    heartbeatMs: 1000,
    timeoutMs: 3000,
    connectWindowMs: 1000,
    seenMaxEntries: 100,
    seenMaxAgeMs: 60_000,
    graftTimeoutMs: 500,
    minNeighbours: 2,
    emit: (body) => {
      const ts = new Date().toISOString();
      log.push({ ts, stream: "stdout", text: JSON.stringify({ ts, peer: "alice", ...body } as PeerEvent) });
    },
    diagnose: (message) => log.push({ ts: new Date().toISOString(), stream: "stderr", text: message }),
    quit: () => {},
  });
  const container = runningContainer("alice");
  return {
    typed,
    topology: topologyFrom("name: test\npeers:\n  alice: {}\n"),
    peer: async () => container,
    record: async () => {},
    runtime: {
      writeLine: async (_id, line) => {
        typed.push(line);
        if (deaf) return;
        if (someoneElse !== undefined) alice.input(someoneElse);
        alice.input(line);
      },
      logs: async function* () {
        yield* [...log];
      },
    },
  };
}

describe("typeMessage", () => {
  it("gives two identical sends typed at the same moment their own message ids", async () => {
    const lab = labOfAlice();
    const [first, second] = await Promise.all([
      typeMessage(lab, "alice", "same words", never),
      typeMessage(lab, "alice", "same words", never),
    ]);
    expect(first.id).toBeDefined();
    expect(second.id).toBeDefined();
    expect(first.id).not.toBe(second.id);
  });

  it("matches the peer's sent event by the ref it typed, not by the text", async () => {
    const lab = labOfAlice("hello there");
    const typed = await typeMessage(lab, "alice", "hello there", never);
    expect(lab.typed).toEqual([expect.stringMatching(/^\/send [0-9a-f-]{36} hello there$/)]);
    // The other typist's identical line was sent first, as alice:…:1; the lab's is the second.
    expect(typed).toMatchObject({ id: expect.stringMatching(/^alice:[0-9a-z]+:2$/), to: [] });
  });

  describe("a peer that never reports sending", () => {
    afterEach(() => void vi.useRealTimers());

    it("is an error after 5 s that says what was not seen, not a send without an id", async () => {
      vi.useFakeTimers();
      const lab = labOf(undefined, true);
      const typed = typeMessage(lab, "alice", "hello", never);
      const failed = expect(typed).rejects.toThrow(WaitTimeoutError);
      await vi.advanceTimersByTimeAsync(5000);
      await failed;
      await expect(typed).rejects.toMatchObject({
        message: 'the sent event of alice for "hello" not seen after 5s',
        hint: "alice was given /send REF TEXT on stdin; a peer takes it and prints a sent event with that REF, see peer/PROTOCOL.md",
        exitCode: 1,
      });
      expect(lab.typed).toHaveLength(1);
    });

    it("is waited for only until Ctrl-C", async () => {
      const interrupt = new AbortController();
      const typed = typeMessage(labOf(undefined, true), "alice", "hello", interrupt.signal);
      setTimeout(() => interrupt.abort(new Error("Ctrl-C")), 50);
      const started = Date.now();
      await expect(typed).rejects.toThrow("Ctrl-C");
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });
});

describe("typeMessage into a stdio program", () => {
  /** A lab of one program, alice, typed its send template; `echo`: it prints `me: TEXT` for each line. */
  function labOfProgram(echo: boolean): TypingLab & { typed: string[]; read: number } {
    // Its first line is its ready line (it has no ready expression).
    const log: LogLine[] = [{ ts: new Date().toISOString(), stream: "stdout", text: "chat 1.0 on port 7000" }];
    const lab = {
      typed: [] as string[],
      read: 0,
      topology: topologyFrom(
        [
          "name: test",
          "peers:",
          `  alice: { image: chat:1, command: ["{name}", "{port}"], interface: { events: stdio, send: "/say {text}"${echo ? ', sent: "^me: (?<text>.*)$"' : ""} } }`,
          "",
        ].join("\n"),
      ),
      peer: async () => runningContainer("alice"),
      record: async () => {},
      runtime: {
        writeLine: async (_id: string, line: string) => {
          lab.typed.push(line);
          if (echo)
            log.push({ ts: new Date().toISOString(), stream: "stdout", text: `me: ${line.slice("/say ".length)}` });
        },
        logs: async function* () {
          lab.read += 1;
          yield* [...log];
        },
      },
    };
    return lab;
  }

  it("types its send template's line; the id is the text's, and a program that echoes nothing is not waited for", async () => {
    const lab = labOfProgram(false);
    const typed = await typeMessage(lab, "alice", "hello there", never);
    expect(lab.typed).toEqual(["/say hello there"]);
    expect(typed).toMatchObject({ id: foreignMessageId("hello there"), to: undefined });
    expect(lab.read).toBe(0);
  });

  it("waits for the program's echo when its interface has a sent expression", async () => {
    const lab = labOfProgram(true);
    expect(await typeMessage(lab, "alice", "hi", never)).toMatchObject({ id: foreignMessageId("hi"), to: undefined });
    expect(lab.read).toBeGreaterThan(0);
  });
});

const never = new AbortController().signal;

describe("send on a memory runtime", () => {
  const labs = new MemoryLabs();
  afterEach(() => labs.closeAll());

  it("reports who received it and who could: the whole chain, then only the sender's side of a partition", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    expect(await send(lab, "alice", "hello", never)).toEqual({
      peer: "alice",
      text: "hello",
      id: expect.stringMatching(/^alice:[0-9a-z]+:1$/),
      receivedBy: ["bob", "carol", "dave"],
      reachable: ["bob", "carol", "dave"],
    });
    await control(lab, "kill", "bob", 1, never);
    expect(await send(lab, "alice", "anyone?", never)).toMatchObject({ receivedBy: [], reachable: [] });
    expect(await send(lab, "dave", "still here", never)).toMatchObject({ receivedBy: ["carol"], reachable: ["carol"] });
  });

  it("refuses (exit 2) before typing anything: text that is not one message, an unknown peer, a dead or frozen sender", async () => {
    const lab = await labs.up(shipped("topologies/chain.yaml"));
    await control(lab, "kill", "bob", 1, never);
    await control(lab, "pause", "carol", 1, never);
    const refusal = (peer: string, text: string) => refusalOf(send(lab, peer, text, never));
    expect(await refusal("alice", "/quit")).toEqual({
      type: "InputError",
      message: 'cannot send "/quit": "/quit" would be a command to the peer, not a message',
      hint: undefined,
      exitCode: 2,
    });
    expect(await refusal("eve", "hi")).toMatchObject({
      type: "InputError",
      message: 'unknown peer "eve" in lab chain (known: alice, bob, carol, dave)',
    });
    expect(await refusal("bob", "hi")).toEqual({
      type: "InputError",
      message: "cannot send from bob: it is killed",
      hint: "lab start bob",
      exitCode: 2,
    });
    expect(await refusal("carol", "hi")).toEqual({
      type: "InputError",
      message: "cannot send from carol: it is paused",
      hint: "lab resume carol",
      exitCode: 2,
    });
    expect((await lab.recording()).actions.map((action) => action.action)).toEqual(["up", "kill", "pause"]);
  });
});
