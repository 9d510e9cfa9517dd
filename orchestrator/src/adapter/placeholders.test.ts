import { describe, expect, it } from "vitest";
import { expandCommand, expandEnv, placeholderProblems, usesOwnPort, type PlaceholderValues } from "./placeholders.js";

/** bob listens on the lab's fixed port; carol chose 40123 at run time. */
const PORTS: Record<string, number> = { alice: 7000, bob: 7000, carol: 40123 };
const values = (name: string, connect: string[]): PlaceholderValues => ({
  name,
  port: 7000,
  connect,
  portOf: (peer) => {
    const port = PORTS[peer];
    if (port === undefined) throw new Error(`no port for ${peer}`);
    return port;
  },
});

describe("expandCommand", () => {
  it("fills {name}, {port} and indexed targets' host and port", () => {
    const command = ["./p2pchat", "{name}", "--port={port}", "{connect[0].host}", "{connect[0].port}", "{connect[1]}"];
    expect(expandCommand(command, values("alice", ["bob", "carol"]))).toEqual([
      "./p2pchat",
      "alice",
      "--port=7000",
      "bob",
      "7000",
      "carol:40123",
    ]);
  });

  it("an element that is exactly {connect} becomes one argv element per target", () => {
    expect(expandCommand(["chat", "{connect}", "--end"], values("alice", ["bob", "carol"]))).toEqual([
      "chat",
      "bob:7000",
      "carol:40123",
      "--end",
    ]);
  });

  it("an element with {connect} inside other text is repeated whole per target", () => {
    expect(expandCommand(["chat", "--connect={connect}"], values("alice", ["bob", "carol"]))).toEqual([
      "chat",
      "--connect=bob:7000",
      "--connect=carol:40123",
    ]);
    expect(expandCommand(["--peer={connect.host},{connect.port}"], values("alice", ["bob", "carol"]))).toEqual([
      "--peer=bob,7000",
      "--peer=carol,40123",
    ]);
  });

  it("a group is repeated as a whole per target, for flags that take the next argument", () => {
    expect(expandCommand(["chat", ["--connect", "{connect}"], "-v"], values("alice", ["bob", "carol"]))).toEqual([
      "chat",
      "--connect",
      "bob:7000",
      "--connect",
      "carol:40123",
      "-v",
    ]);
    expect(expandCommand([["-h", "{connect.host}", "-p", "{connect.port}"]], values("alice", ["carol"]))).toEqual([
      "-h",
      "carol",
      "-p",
      "40123",
    ]);
  });

  it("a group without {connect} is its elements in place", () => {
    expect(expandCommand([["--name", "{name}"], "x"], values("alice", []))).toEqual(["--name", "alice", "x"]);
  });

  it("repeated elements and groups disappear when the peer dials nobody", () => {
    expect(
      expandCommand(["chat", "{connect}", "--c={connect}", ["-c", "{connect}"], "{name}"], values("alice", [])),
    ).toEqual(["chat", "alice"]);
  });

  it("an optional reference without its target leaves its element out, and its whole group", () => {
    const command = ["./p2pchat", "{name}", "{connect[0].host?}", "{connect[0].port?}", ["--second", "{connect[1]?}"]];
    expect(expandCommand(command, values("alice", []))).toEqual(["./p2pchat", "alice"]);
    expect(expandCommand(command, values("bob", ["alice"]))).toEqual(["./p2pchat", "bob", "alice", "7000"]);
    expect(expandCommand(command, values("dave", ["bob", "carol"]))).toEqual([
      "./p2pchat",
      "dave",
      "bob",
      "7000",
      "--second",
      "carol:40123",
    ]);
  });

  it("doubled braces are literal braces", () => {
    expect(expandCommand(["{{name}}", "{{{name}}}", 'json={{"port": {port}}}', "a}}b{{"], values("alice", []))).toEqual(
      ["{name}", "{alice}", 'json={"port": 7000}', "a}b{"],
    );
  });

  it("asks for a target's port only when the port is used, at the time of expansion", () => {
    const asked: string[] = [];
    const command = ["{connect[0].host}", "{connect.host}"];
    expect(
      expandCommand(command, { ...values("alice", ["bob", "nobody-knows"]), portOf: (peer) => (asked.push(peer), 1) }),
    ).toEqual(["bob", "bob", "nobody-knows"]);
    expect(asked).toEqual([]);
  });

  it("refuses a template that validation would fault, rather than guess", () => {
    expect(() => expandCommand(["{nmae}"], values("alice", []))).toThrow(
      /unknown placeholder \{nmae\}.*validate the template first/,
    );
    expect(() => expandCommand(["{connect[0].host}"], values("alice", []))).toThrow(/validate the template first/);
  });
});

describe("expandEnv", () => {
  it("fills values, joins repeated ones with commas and leaves out optional ones without a target", () => {
    const env = {
      USER_NAME: "{name}",
      PEERS: "{connect}",
      HOSTS: "{connect.host}",
      FIRST: "{connect[0].host?}",
      PLAIN: "x{{y}}",
    };
    expect(expandEnv(env, values("alice", ["bob", "carol"]))).toEqual({
      USER_NAME: "alice",
      PEERS: "bob:7000,carol:40123",
      HOSTS: "bob,carol",
      FIRST: "bob",
      PLAIN: "x{y}",
    });
    expect(expandEnv(env, values("alice", []))).toEqual({ USER_NAME: "alice", PEERS: "", HOSTS: "", PLAIN: "x{y}" });
  });
});

describe("placeholderProblems", () => {
  const alice = { name: "alice", connect: ["bob"] };

  it("a well-formed template has none", () => {
    expect(
      placeholderProblems({ command: ["chat", "{name}", ["-c", "{connect}"], "{{x}}"], env: { P: "{port}" } }, alice),
    ).toEqual([]);
    expect(
      placeholderProblems(
        { command: ["chat", "{name}", "{connect[0].host?}", "{connect[0].port?}"] },
        { name: "head", connect: [] },
      ),
    ).toEqual([]);
  });

  it("places an unknown placeholder at its brace, with the closest known one", () => {
    expect(placeholderProblems({ command: ["chat", "--user={nmae}"] }, { name: "alice", connect: [] })).toEqual([
      {
        path: ["command", 1],
        offset: 7,
        message: "unknown placeholder {nmae}",
        hint: expect.stringMatching(/^did you mean \{name\}\? \(known: \{name\}, \{port\}, \{connect\}/),
      },
    ]);
  });

  it("suggests a misspelt indexed placeholder with the index that was written", () => {
    const [problem] = placeholderProblems(
      { command: ["{conect[1].host}", "{connect[0]}"] },
      { name: "a", connect: ["b", "c"] },
    );
    expect(problem).toMatchObject({ path: ["command", 0], offset: 0, message: "unknown placeholder {conect[1].host}" });
    expect(problem?.hint).toMatch(/^did you mean \{connect\[1\]\.host\}\?/);
  });

  it("names something far from any placeholder with the list of known ones only", () => {
    const [problem] = placeholderProblems({ command: ["{whatever}"] }, { name: "a", connect: [] });
    expect(problem?.hint).toMatch(/^known: \{name\}/);
  });

  it("finds lone and unclosed braces, in groups and env values too", () => {
    const problems = placeholderProblems(
      { command: [["-x", "a}b"]], env: { JSON: '{"a": 1' } },
      { name: "a", connect: [] },
    );
    expect(problems).toEqual([
      { path: ["command", 0, 1], offset: 1, message: "a lone }", hint: "write }} for a literal }" },
      { path: ["env", "JSON"], offset: 0, message: "a { that is never closed", hint: "write {{ for a literal {" },
    ]);
  });

  it("an index past the peer's connect list, with how to make it optional", () => {
    expect(
      placeholderProblems(
        { command: ["chat", "{name}", "{connect[0].host}", "{connect[0].port}"] },
        { name: "alice", connect: [] },
      ),
    ).toEqual([
      {
        path: ["command", 2],
        offset: 0,
        message: "{connect[0].host}: there is no connect[0]: alice dials no peer",
        hint: "write {connect[0].host?} to leave this argument out for peers without connect[0], or give alice its own command",
      },
      {
        path: ["command", 3],
        offset: 0,
        message: "{connect[0].port}: there is no connect[0]: alice dials no peer",
        hint: "write {connect[0].port?} to leave this argument out for peers without connect[0], or give alice its own command",
      },
    ]);
    expect(
      placeholderProblems(
        { command: ["--to={connect[2]}", "{connect}"] },
        { name: "bob", connect: ["alice", "carol"] },
      ),
    ).toEqual([
      {
        path: ["command", 0],
        offset: 5,
        message: "{connect[2]}: there is no connect[2]: bob dials 2 peers (connect[0] alice, connect[1] carol)",
        hint: "write {connect[2]?} to leave this argument out for peers without connect[2], or give bob its own command",
      },
    ]);
  });

  it("only an indexed target can be optional; past such a problem, unpassed targets are not guessed at", () => {
    const problems = placeholderProblems({ command: ["{name?}", "{connect?}", "{port?}"] }, alice);
    expect(problems.map((problem) => problem.message)).toEqual([
      "{name?} cannot be optional",
      "{connect?} cannot be optional",
      "{port?} cannot be optional",
    ]);
  });

  it("a dialled peer the command never passes to the program is a problem at its connect entry", () => {
    expect(
      placeholderProblems(
        { command: ["chat", "{name}", "{connect[0].host}", "{connect[0].port}"] },
        { name: "bob", connect: ["alice", "carol"] },
      ),
    ).toEqual([
      {
        path: ["connect", 1],
        offset: 0,
        message:
          "bob dials carol, but its command and env never pass carol to the program (no {connect} nor {connect[1]…})",
        hint: 'add "{connect}" to the command (each dialled peer as host:port), or "{connect[1].host}" and "{connect[1].port}"',
      },
    ]);
  });

  it("a target passed through env counts as passed; without a command (the reference flags) nothing is checked", () => {
    expect(
      placeholderProblems(
        { command: ["chat"], env: { PEERS: "{connect}" } },
        { name: "bob", connect: ["alice", "carol"] },
      ),
    ).toEqual([]);
    expect(placeholderProblems({ env: { ME: "{name}" } }, { name: "bob", connect: ["alice"] })).toEqual([]);
  });

  it("counts offsets in characters of the value", () => {
    const [problem] = placeholderProblems({ command: ["héllo {x}"] }, { name: "a", connect: [] });
    expect(problem?.offset).toBe(6);
  });
});

describe("usesOwnPort", () => {
  it("says whether the program is told the lab's port, in its command, a group or its env", () => {
    expect(usesOwnPort({ command: ["chat", "{name}", "{connect.port}"] })).toBe(false);
    expect(usesOwnPort({ command: ["chat", "{{port}}"] })).toBe(false);
    expect(usesOwnPort({ command: ["chat", "--port={port}"] })).toBe(true);
    expect(usesOwnPort({ command: ["chat", ["-p", "{port}"]] })).toBe(true);
    expect(usesOwnPort({ command: ["chat"], env: { PORT: "{port}" } })).toBe(true);
    expect(usesOwnPort({})).toBe(false);
  });
});
