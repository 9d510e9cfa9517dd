import { execFile, execFileSync, spawn } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** The built CLI, as a user runs it; these commands need no engine. */
const LAB = new URL("../../../dist/lab.js", import.meta.url).pathname;
const ALIAS_BOMB = new URL("../topology/fixtures/alias-bomb.yaml", import.meta.url).pathname;
const REPORT_FIXTURE = new URL("../report/fixtures/chain-killed-bridge.json", import.meta.url).pathname;
const CHAIN = new URL("../../../topologies/chain.yaml", import.meta.url).pathname;
const NO_ENGINE = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };
const NO_ENGINE_ERROR = {
  error: "no Docker engine answers at /nonexistent/docker.sock (ENOENT)",
  fix: "start the engine (scripts/ensure-docker.sh, or `sudo systemctl start docker`), or point DOCKER_HOST at one",
  exit: 3,
};
/** A directory nobody can create, root included. */
const UNWRITABLE = "/proc/nope";

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lab(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ended> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [LAB, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(error);
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    }),
  );
}

/**
 * Runs `lab` with stdout on a pipe (a FIFO: the pipes spawn makes are socket pairs, which hold far
 * more than a shell pipe's 64 KiB) and a slow reader: it reads nothing until `lab` has printed
 * `startReading` on stderr, then pauses after every chunk, or closes the pipe after the first.
 */
async function labReadSlowly(
  args: string[],
  startReading: RegExp,
  reading: "all" | "one chunk" = "all",
): Promise<Ended> {
  const fifo = join(await mkdtemp(join(tmpdir(), "p2plab-cli-")), "stdout");
  execFileSync("mkfifo", [fifo]);
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(fifo, constants.O_WRONLY);
  const child = spawn(process.execPath, [LAB, ...args], { stdio: ["ignore", writeEnd, "pipe"] });
  closeSync(writeEnd);
  const reader = new Socket({ fd: readEnd, readable: true, writable: false });
  reader.pause();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  reader.on("data", (chunk: Buffer) => {
    chunks.stdout.push(chunk);
    if (reading === "one chunk") return void reader.destroy();
    reader.pause();
    setTimeout(() => reader.resume(), 5);
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    chunks.stderr.push(chunk);
    if (startReading.test(Buffer.concat(chunks.stderr).toString())) reader.resume();
  });
  const [code] = await Promise.all([
    new Promise<number | null>((resolve) => child.on("close", resolve)),
    new Promise((resolve) => reader.on("close", resolve)),
  ]);
  return { code, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() };
}

async function tempFile(name: string, text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "p2plab-cli-")), name);
  await writeFile(file, text);
  return file;
}

/** A topology that makes `lab validate` print 800 warnings (135 KiB) on stdout, then one error on stderr. */
async function noisyTopology(): Promise<string> {
  const steps = Array.from(
    { length: 800 },
    (_, i) => `  - expect: { delivered: never-sent-${i}, to: [b], within: 1s }\n`,
  );
  return tempFile(
    "noisy.yaml",
    `name: noisy\ndescription: warnings, then an error\npeers:\n  a: {}\n  b: { connect: [a] }\nscenario:\n${steps.join("")}  - kill: nobody\n`,
  );
}

describe("lab's exit", () => {
  it("flushes everything to a slow reader first: 135 KiB of warnings on a 64 KiB pipe, then the error", async () => {
    const run = await labReadSlowly(["validate", await noisyTopology()], /unknown peer "nobody"/);
    expect(run.code).toBe(2);
    const lines = run.stdout.split("\n");
    expect(run.stdout.length).toBeGreaterThan(128 * 1024);
    expect(lines).toHaveLength(801);
    expect(lines[799]).toMatch(/^warning: .* no earlier send has the text or name "never-sent-799"/);
    expect(run.stderr).toContain('scenario[800].kill: unknown peer "nobody" (known: a, b)');
  });

  it("still exits at once, with its code, when the reader has gone away", async () => {
    const run = await labReadSlowly(["validate", await noisyTopology()], /unknown peer "nobody"/, "one chunk");
    expect(run.code).toBe(2);
    expect(run.stdout.length).toBeGreaterThan(0);
    expect(run.stdout.length).toBeLessThan(128 * 1024);
  });
});

describe("bad input is refused before anything else, with exit 2", () => {
  it("an alias bomb: where, what and the fix, not an internal error", async () => {
    const run = await lab(["validate", ALIAS_BOMB]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `lab: 1 problem in the topology:\n  ${ALIAS_BOMB}:11:14 the alias *e expands the document past 100000 values (aliases of aliases multiply: a "billion laughs") — write the values out; a topology needs nowhere near this many\n`,
    );
  });

  it("a message with a control character, before the engine is looked for", async () => {
    const run = await lab(["send", "alice", "hi\r/quit"], NO_ENGINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'lab: cannot send "hi\\r/quit": a message cannot contain control characters (found U+000D at position 2)\n',
    );
  });

  it("transcripts to a directory that can never be made: exit 2 at once, before the engine is looked for", async () => {
    const run = await lab(["transcripts", "--out", "/proc/nope"], NO_ENGINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "lab: cannot write transcripts to /proc/nope: it cannot be created there (ENOENT)\n  fix: choose another directory with --out\n",
    );
  });
});

describe("input the engine is not needed for is checked before the engine is looked for: exit 2 with no engine", () => {
  it("a message that is a command to the peer", async () => {
    const run = await lab(["send", "alice", "/quit"], NO_ENGINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('lab: cannot send "/quit": "/quit" would be a command to the peer, not a message\n');
  });

  it("a duration that is not one", async () => {
    const run = await lab(["stop", "alice", "--grace", "soon"], NO_ENGINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('lab: --grace "soon" is not a duration\n  fix: write it like 5s, 60s or 2m\n');
  });

  it("a results directory lab cannot write, for run, down and up --recreate", async () => {
    for (const args of [["run", CHAIN], ["down"], ["up", "--recreate", CHAIN]]) {
      const run = await lab([...args, "--results", UNWRITABLE], NO_ENGINE);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toBe(
        `lab: cannot write results to ${UNWRITABLE}: it cannot be created there (ENOENT)\n  fix: choose another directory with --results\n`,
      );
    }
  });

  it("lab run --build of a directory that cannot be built, and --image with --build", async () => {
    const missing = await lab(["run", CHAIN, "--build", "/nonexistent/chat"], NO_ENGINE);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "lab: --build /nonexistent/chat: /nonexistent/chat does not exist\n  fix: give a directory holding a Dockerfile\n",
    );
    const both = await lab(["run", CHAIN, "--image", "chat:1", "--build", "."], NO_ENGINE);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("option '--image <image>' cannot be used with option '--build <dir>'");
  });

  it.each([
    [
      ["loss", "bob", "ten"],
      'lab: "ten" is not a share of packets\n  fix: give a percentage from 0 to 100, e.g. 10 or 10%\n',
    ],
    [
      ["loss", "bob", "150%"],
      'lab: "150%" is not a share of packets\n  fix: give a percentage from 0 to 100, e.g. 10 or 10%\n',
    ],
    [
      ["rate", "bob", "256kbps"],
      'lab: "256kbps" is not a rate\n  fix: give one such as 256kbit, 1mbit or 1.5mbit (bits per second, whole kbit, 8kbit to 10gbit; 0 removes the limit)\n',
    ],
    [["delay", "bob", "soon"], 'lab: the delay "soon" is not a duration\n  fix: write it like 5s, 60s or 2m\n'],
    [
      ["delay", "bob", "100ms", "--jitter", "1s"],
      "lab: --jitter (1s) is larger than the delay (100ms)\n  fix: give a smaller jitter\n",
    ],
    [
      ["partition"],
      "lab: name the groups: lab partition alice,bob / carol,dave\n  fix: or pick them: lab partition --random\n",
    ],
    [
      ["partition", "alice", "/", "/", "bob"],
      'lab: a group is empty in "alice / / bob": write the groups as alice,bob / carol,dave\n',
    ],
    [["partition", "--random", "--seed", "x"], "lab: --seed x is not a whole number of at least 0\n"],
    [["partition", "--random", "--groups", "1"], "lab: --groups 1 is not a whole number of at least 2\n"],
    [["partition", "alice", "--random"], "lab: name the groups or ask for --random, not both\n"],
    [
      ["partition", "alice", "--seed", "4"],
      "lab: --seed and --groups are for a random partition\n  fix: add --random, or leave them out\n",
    ],
  ])("a network fault's values: lab %j", async (args, stderr) => {
    const run = await lab(args, NO_ENGINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(stderr);
  });

  it("a transcripts directory lab cannot write", async () => {
    const run = await lab(["transcripts", "--out", UNWRITABLE], NO_ENGINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `lab: cannot write transcripts to ${UNWRITABLE}: it cannot be created there (ENOENT)\n  fix: choose another directory with --out\n`,
    );
  });

  it("a compose file that cannot be written (no engine is needed at all): bad input, not an internal error", async () => {
    const run = await lab(["compose", CHAIN, "-o", `${UNWRITABLE}/compose.yaml`], NO_ENGINE);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `lab: cannot write ${UNWRITABLE}/compose.yaml: it cannot be created there (ENOENT)\n  fix: choose another file with -o, or leave it out to print the compose file\n`,
    );
  });
});

describe("files lab cannot write are bad input (exit 2), not an internal error", () => {
  it("a report over a results directory where report.md is a directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "p2plab-cli-"));
    await copyFile(REPORT_FIXTURE, join(dir, "summary.json"));
    await mkdir(join(dir, "report.md"));
    const run = await lab(["report", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `lab: cannot write the report to ${dir}: a directory is in the way of a file (EISDIR)\n  fix: give a directory lab can write to, or copy it somewhere it can\n`,
    );
  });
});

describe("under --json, an error is one JSON object on stdout, and stderr stays quiet", () => {
  async function jsonFailure(args: string[]): Promise<{ code: number | null; error: unknown; stderr: string }> {
    const run = await lab(args, NO_ENGINE);
    expect(run.stdout.trim().split("\n"), `lab ${args.join(" ")}`).toHaveLength(1);
    return { code: run.code, error: JSON.parse(run.stdout), stderr: run.stderr };
  }

  it("no engine (exit 3), for every kind of command that has --json", async () => {
    const commands = [
      ["status"],
      ["watch"],
      ["ls"],
      ["send", "alice", "hi"],
      ["kill", "alice"],
      ["restart", "alice"],
      ["logs"],
      ["transcripts", "--out", await mkdtemp(join(tmpdir(), "p2plab-cli-"))],
      ["down", "--results", await mkdtemp(join(tmpdir(), "p2plab-cli-"))],
      ["up", CHAIN],
    ];
    for (const args of commands) {
      const run = await jsonFailure([...args, "--json"]);
      expect(run, args.join(" ")).toEqual({ code: 3, error: NO_ENGINE_ERROR, stderr: "" });
    }
  });

  it("bad input (exit 2): a message, a duration, a topology, a usage error; fix is null when there is none", async () => {
    expect(await jsonFailure(["send", "alice", "/quit", "--json"])).toEqual({
      code: 2,
      error: {
        error: 'cannot send "/quit": "/quit" would be a command to the peer, not a message',
        fix: null,
        exit: 2,
      },
      stderr: "",
    });
    expect(await jsonFailure(["stop", "--json", "alice", "--grace", "soon"])).toEqual({
      code: 2,
      error: { error: '--grace "soon" is not a duration', fix: "write it like 5s, 60s or 2m", exit: 2 },
      stderr: "",
    });
    expect(await jsonFailure(["run", "--json", ALIAS_BOMB])).toMatchObject({
      code: 2,
      error: {
        error: expect.stringMatching(/^1 problem in the topology:\n  .*alias-bomb\.yaml:11:14 the alias \*e expands/),
        exit: 2,
      },
      stderr: "",
    });
    expect(await jsonFailure(["status", "--json", "--bogus"])).toEqual({
      code: 2,
      error: { error: "unknown option '--bogus'", fix: "run lab --help for the commands", exit: 2 },
      stderr: "",
    });
  });

  it("without --json a usage error reads as it always did", async () => {
    const run = await lab(["status", "--bogus"], NO_ENGINE);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("error: unknown option '--bogus'\n(run lab --help for the commands)\n");
  });
});
