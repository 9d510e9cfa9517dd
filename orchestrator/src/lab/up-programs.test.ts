import { afterEach, describe, expect, it } from "vitest";
import { MemoryLabs, leftovers, topologyFrom, upOptions } from "../../../test/support/memory-lab.js";
import { foreignMessageId } from "../adapter/stdio-adapter.js";
import { CheckFailedError } from "../errors.js";
import { lineChat } from "../runtime/memory-line-chat.js";
import { ENDED, type Program } from "../runtime/memory-programs.js";
import { recordingEvents } from "./lab.js";
import { send } from "./send.js";
import { up } from "./up.js";

/** The C example's chain, its program the memory runtime's line chat (image chat:1). */
const CHAIN = [
  "name: cc",
  "defaults:",
  "  image: chat:1",
  '  command: ["{name}", ["{connect[0].host?}", "{connect[0].port?}"]]',
  "  interface:",
  "    events: stdio",
  "    ready: '^listening on port (?<port>\\d+)$'",
  "    received: '^(?<from>[^:]+): (?<text>.*)$'",
  "peers:",
  "  alice: {}",
  "  bob: { connect: [alice] }",
  "  carol: { connect: [bob] }",
  "",
].join("\n");

const never = new AbortController().signal;

describe("up with programs that choose their port and print no events (memory runtime)", () => {
  const labs = new MemoryLabs();
  afterEach(() => labs.closeAll());

  it("starts each peer once the one it dials printed its ready line, and gives it the port read from it", async () => {
    const runtime = labs.runtime({ "chat:1": lineChat });
    const progress: string[] = [];
    const { lab, snapshot } = await up(
      runtime,
      topologyFrom(CHAIN),
      upOptions({ progress: (line) => progress.push(line) }),
    );
    const recording = await lab.recording();
    const ports = new Map(
      recordingEvents(recording).flatMap((event) => (event.ev === "listening" ? [[event.peer, event.port]] : [])),
    );
    expect([...ports.keys()]).toEqual(["alice", "bob", "carol"]);
    expect(new Set(ports.values()).size).toBe(3);
    expect(progress).toContain(
      "waiting for 3 peers to listen, then 2 links between programs that report none, in their TCP tables",
    );
    expect(progress).toContain(`starting bob, which waited for alice on port ${ports.get("alice")}`);
    expect(progress).toContain(`starting carol, which waited for bob on port ${ports.get("bob")}`);
    expect(recording.lines.get("carol")!.map((line) => line.text)).toContain(`connected to bob:${ports.get("bob")}`);
    expect(snapshot.peers.map((peer) => peer.status)).toEqual(["running", "running", "running"]);
  });

  it("lab send types the line, and the receptions its program prints are the message's: who received it is known", async () => {
    const { lab } = await up(labs.runtime({ "chat:1": lineChat }), topologyFrom(CHAIN), upOptions());
    const result = await send(lab, "alice", "hello", never);
    expect(result).toMatchObject({ id: foreignMessageId("hello"), receivedBy: ["bob", "carol"] });
    const alice = (await lab.recording()).lines.get("alice")!;
    expect(alice.find((line) => line.stream === "stdin")).toMatchObject({
      text: "hello",
      event: { ev: "sent", id: foreignMessageId("hello"), origin: "alice", text: "hello" },
    });
  });

  it("a peer that never prints its ready line: exit 1 naming it with its last lines and the peers left waiting; lab run leaves nothing", async () => {
    const mute: Program = async ({ print }) => {
      print("stdout", "chat 0.1 starting");
      return { ...ENDED };
    };
    const runtime = labs.runtime({ "chat:1": mute });
    const attempt = up(runtime, topologyFrom(CHAIN), upOptions({ wireTimeoutMs: 300, onFailure: "remove" }));
    await expect(attempt).rejects.toBeInstanceOf(CheckFailedError);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(
        new RegExp(
          [
            "^lab cc not wired after 300ms:",
            "  alice never printed its ready line \\(/\\^listening on port \\(\\?<port>\\\\d\\+\\)\\$/\\)",
            "  bob not started: it waits for alice to listen",
            "  carol not started: it waits for bob to listen",
            "last lines of alice:",
            " {4}\\d\\d:\\d\\d:\\d\\d\\.\\d{3} {2}alice \\| chat 0\\.1 starting$",
          ].join("\\n"),
        ),
      ),
    });
    expect(await leftovers(runtime, "cc")).toEqual([]);
  });

  it("a program that crashes at start: exit 1 with its exit code and what it printed", async () => {
    const runtime = labs.runtime({ "chat:1": lineChat });
    const attempt = up(runtime, topologyFrom(CHAIN.replace('"{name}", ', "")), upOptions());
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(
        /^alice exited \(code 2\) before the lab was wired\nlast lines of alice:\n {4}\d\d:\d\d:\d\d\.\d{3} {2}alice ! usage: p2pchat <username> \[<peer-host> <peer-port> \.\.\.\]$/,
      ),
      exitCode: 1,
    });
  });
});
