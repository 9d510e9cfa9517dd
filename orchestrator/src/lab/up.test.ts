import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryLabs, leftovers, shipped, topologyFrom, upOptions } from "../../../test/support/memory-lab.js";
import { CheckFailedError, InputError } from "../errors.js";
import { planLab } from "../plan/plan.js";
import { builtImageTag } from "../runtime/built-image.js";
import { ENDED, referencePeer, type Program } from "../runtime/memory-programs.js";
import { ImageNotFoundError, NameInUseError, type ContainerSpec, type Runtime } from "../runtime/runtime.js";
import { loadTopology } from "../topology/load.js";
import type { Topology } from "../topology/schema.js";
import { InterruptedError, LabBusyError, up, type UpOptions, type UpResult } from "./up.js";

const loaded = loadTopology("name: duo\ndescription: d\npeers:\n  a: {}\n  b: { connect: [a] }\n", "duo.yaml");
if (!loaded.ok) throw new Error("the test topology does not load");
const topology: Topology = loaded.topology;

const options: UpOptions = {
  recreate: false,
  onFailure: "remove",
  wireTimeoutMs: 10_000,
  resultsDir: "/nonexistent/results",
  signal: new AbortController().signal,
  progress: () => {},
};

/** A runtime that records every call and answers only the ones given: any other call fails the test. */
function scriptedRuntime(answers: Partial<Record<keyof Runtime, (...args: never[]) => unknown>>): {
  runtime: Runtime;
  calls: string[];
} {
  const calls: string[] = [];
  const runtime = new Proxy({} as Runtime, {
    get:
      (_target, method: string) =>
      async (...args: never[]) => {
        calls.push(method);
        const answer = answers[method as keyof Runtime];
        if (!answer) throw new Error(`unexpected engine call: ${method}`);
        return answer(...args);
      },
  });
  return { runtime, calls };
}

describe("up's claim on the lab's name", () => {
  it("another process created the journal first (both saw no lab): exit 2, and nothing created or removed", async () => {
    const { runtime, calls } = scriptedRuntime({
      listNetworks: () => [],
      listContainerSummaries: () => [],
      ensurePeerImage: () => "p2plab/peer:test",
      neighbourTableLimit: () => undefined,
      createContainer: (spec: ContainerSpec) => {
        throw new NameInUseError(spec.name);
      },
    });
    const attempt = up(runtime, topology, options);
    await expect(attempt).rejects.toThrow(LabBusyError);
    await expect(attempt).rejects.toMatchObject({
      message: 'lab "duo" is already running or being started',
      exitCode: 2,
    });
    expect(calls).toEqual([
      "listNetworks",
      "listContainerSummaries",
      "ensurePeerImage",
      "neighbourTableLimit",
      "createContainer",
    ]);
  });

  it("creates the journal, on no network, first (the lab's claim), then starts it and makes the network together", async () => {
    const created: ContainerSpec[] = [];
    const { runtime, calls } = scriptedRuntime({
      listNetworks: () => [],
      listContainerSummaries: () => [],
      ensurePeerImage: () => "p2plab/peer:test",
      neighbourTableLimit: () => undefined,
      createContainer: (spec: ContainerSpec) => {
        created.push(spec);
        return `id-${created.length}`;
      },
      start: () => {
        throw new Error("the engine broke");
      },
    });
    await expect(up(runtime, topology, { ...options, onFailure: "leave" })).rejects.toThrow("the engine broke");
    expect(calls).toEqual([
      "listNetworks",
      "listContainerSummaries",
      "ensurePeerImage",
      "neighbourTableLimit",
      "createContainer",
      "start",
      "createNetwork",
    ]);
    expect(created).toEqual([planLab(topology, "p2plab/peer:test").journal]);
    expect(created[0]!.network).toBeUndefined();
  });
});

describe("a peer image the engine does not have", () => {
  const named = loadTopology(
    "name: duo\ndescription: d\npeers:\n  a: { image: ghost/peer:1 }\n  b: { connect: [a] }\n",
    "duo.yaml",
  );
  if (!named.ok) throw new Error("the test topology does not load");

  /** The journal and network are made; each peer's create answers that its image is missing. */
  function engineWithoutImages() {
    let created = 0;
    return scriptedRuntime({
      listNetworks: () => [],
      listContainerSummaries: () => [],
      ensurePeerImage: () => "p2plab/peer:test",
      neighbourTableLimit: () => undefined,
      createContainer: (spec: ContainerSpec) => {
        if ((created += 1) === 1) return "journal-id";
        throw new ImageNotFoundError(spec.image);
      },
      start: () => undefined,
      createNetwork: () => undefined,
    }).runtime;
  }

  it("named by the topology: bad input (exit 2), naming the peer, the image and the fix", async () => {
    const attempt = up(engineWithoutImages(), named.topology, { ...options, onFailure: "leave" });
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toMatchObject({
      message: "peer a's image ghost/peer:1 is not on this engine",
      exitCode: 2,
    });
  });

  it("the reference image, built a moment ago: the environment (exit 3), not the input", async () => {
    const attempt = up(engineWithoutImages(), topology, { ...options, onFailure: "leave" });
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(/^peer a did not start from image p2plab\/peer:test: /),
      exitCode: 3,
    });
  });
});

describe("up on a memory runtime", () => {
  const labs = new MemoryLabs();
  afterEach(() => labs.closeAll());

  /** A peer image whose process says why and exits 1 before it listens. */
  const crashing: Program = async ({ print, exit }) => {
    print("stderr", "cannot read my config");
    exit(1);
    return ENDED;
  };
  /** A peer image that says it listens and then never links. */
  const silent: Program = async ({ print }) => {
    print("stdout", JSON.stringify({ ts: new Date().toISOString(), peer: "b", ev: "listening", port: 7000 }));
    return { ...ENDED };
  };

  it("asks the engine about no peer while it waits: a peer's exit is seen from its log stream ending", async () => {
    const runtime = labs.runtime();
    let inspected = 0;
    const inspect = runtime.inspect.bind(runtime);
    runtime.inspect = (id) => {
      inspected += 1;
      return inspect(id);
    };
    await up(runtime, shipped("topologies/big.yaml"), upOptions());
    expect(inspected).toBe(0);
  });

  it("is done only when both ends report every link, whatever the start order (p1 dials p5, started last)", async () => {
    const runtime = labs.runtime();
    const ring = shipped("topologies/ring.yaml");
    const { snapshot } = await up(runtime, ring, upOptions());
    expect(snapshot.overlay.partitions).toEqual([["p1", "p2", "p3", "p4", "p5"]]);
    expect(Object.fromEntries(snapshot.peers.map((peer) => [peer.name, peer.neighbors]))).toEqual({
      p1: ["p2", "p5"],
      p2: ["p1", "p3"],
      p3: ["p2", "p4"],
      p4: ["p3", "p5"],
      p5: ["p1", "p4"],
    });
    expect(snapshot.journal).toBe("running");
  });

  it("builds the image of a peer's build: first, with a progress line, and runs what it built", async () => {
    const context = await mkdtemp(join(tmpdir(), "p2plab-up-build-"));
    await writeFile(join(context, "Dockerfile"), "FROM scratch\n");
    try {
      // The reference peer, saying first that it is the program built from the context.
      const built: Program = async (process) => {
        process.print("stderr", "built from the context");
        return referencePeer(process);
      };
      const runtime = labs.runtime({}, { [context]: built });
      const duo = topologyFrom(`name: duo\npeers:\n  a: {}\n  b: { connect: [a], build: { context: ${context} } }\n`);
      const progress: string[] = [];
      const { snapshot } = await up(runtime, duo, upOptions({ progress: (line) => progress.push(line) }));
      const tag = builtImageTag(duo.peers[1]!.build!);
      expect(progress).toContain(`building ${tag} from ${context}`);
      expect(snapshot.overlay.partitions).toEqual([["a", "b"]]);
      const [b] = await runtime.listContainers({ "p2plab.peer": "b" });
      const printed: string[] = [];
      for await (const line of runtime.logs(b!.id, { follow: false })) printed.push(line.text);
      expect(printed[0]).toBe("built from the context");
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  });

  it("a peer that exits before the lab is wired: exit 1 with its code and last lines, the lab left for inspection", async () => {
    const runtime = labs.runtime({ "crashy:1": crashing });
    const duo = topologyFrom("name: duo\ndescription: d\npeers:\n  a: {}\n  b: { connect: [a], image: crashy:1 }\n");
    const attempt = up(runtime, duo, upOptions());
    await expect(attempt).rejects.toBeInstanceOf(CheckFailedError);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(
        /^b exited \(code 1\) before the lab was wired\nlast lines of b:\n {4}\d\d:\d\d:\d\d\.\d{3} {2}b ! cannot read my config$/,
      ),
      hint: "the lab is left for inspection: lab logs b; remove it with lab down duo",
      exitCode: 1,
    });
    expect(await leftovers(runtime, "duo")).toEqual([
      "p2plab-duo_journal",
      "p2plab-duo_a",
      "p2plab-duo_b",
      "p2plab-duo",
    ]);
  });

  it("for lab run (onFailure remove), a failed up saves the transcripts and removes the lab", async () => {
    const runtime = labs.runtime({ "crashy:1": crashing });
    const duo = topologyFrom("name: duo\ndescription: d\npeers:\n  a: {}\n  b: { connect: [a], image: crashy:1 }\n");
    const progress: string[] = [];
    const options = upOptions({ onFailure: "remove", progress: (message) => progress.push(message) });
    await expect(up(runtime, duo, options)).rejects.toThrow("b exited (code 1) before the lab was wired");
    const saved = /^transcripts saved to (.+)$/.exec(progress.at(-1)!)?.[1];
    expect(saved?.startsWith(options.resultsDir)).toBe(true);
    expect(await readFile(join(saved!, "transcripts/b.txt"), "utf8")).toMatch(/b ! cannot read my config\n$/);
    expect(await leftovers(runtime, "duo")).toEqual([]);
  });

  it("links not up within --timeout: exit 1 naming each missing link and the ends that did not report it", async () => {
    const runtime = labs.runtime({ "silent:1": silent });
    const duo = topologyFrom("name: duo\ndescription: d\npeers:\n  a: {}\n  b: { connect: [a], image: silent:1 }\n");
    const attempt = up(runtime, duo, upOptions({ wireTimeoutMs: 300 }));
    await expect(attempt).rejects.toBeInstanceOf(CheckFailedError);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(
        /^lab duo not wired after 300ms:\n {2}b ── a: not reported up by b and a\nlast lines of b:\n.*b listening on port 7000\nlast lines of a:\n.*a listening on port 7000$/,
      ),
      hint: "the lab is left for inspection (lab status duo, lab logs PEER); remove it with lab down duo",
    });
  });

  it("Ctrl-C while it waits for the links: what it created is removed, exit 130", async () => {
    const runtime = labs.runtime();
    const interrupt = new AbortController();
    const options = upOptions({
      signal: interrupt.signal,
      progress: (message) => message.startsWith("waiting for") && interrupt.abort(),
    });
    const attempt = up(runtime, shipped("topologies/chain.yaml"), options);
    await expect(attempt).rejects.toBeInstanceOf(InterruptedError);
    await expect(attempt).rejects.toMatchObject({
      exitCode: 130,
      message: "interrupted: lab chain was not brought up, and what was created has been removed",
    });
    expect(await leftovers(runtime, "chain")).toEqual([]);
  });

  it("two ups of one lab at once: the one that loses the claim exits 2, having created and removed nothing", async () => {
    const runtime = labs.runtime();
    const chain = shipped("topologies/chain.yaml");
    const outcomes = await Promise.allSettled([up(runtime, chain, upOptions()), up(runtime, chain, upOptions())]);
    const won = outcomes.find((outcome) => outcome.status === "fulfilled") as PromiseFulfilledResult<UpResult>;
    const lost = outcomes.find((outcome) => outcome.status === "rejected") as PromiseRejectedResult;
    expect(won.value.snapshot.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
    expect(lost.reason).toBeInstanceOf(LabBusyError);
    expect(lost.reason).toMatchObject({
      exitCode: 2,
      hint: "wait for it to finish, or see lab ls; remove it with lab down chain",
    });
    expect((await won.value.lab.snapshot()).overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
  });

  it("a running lab is refused (exit 2) unless --recreate, which saves its transcripts and replaces it", async () => {
    const runtime = labs.runtime();
    const chain = shipped("topologies/chain.yaml");
    const first = await up(runtime, chain, upOptions());
    await first.lab.record({ action: "send", target: "alice", detail: "from the first lab" });
    await expect(up(runtime, chain, upOptions())).rejects.toMatchObject({
      message: 'lab "chain" is already running or being started',
      hint: "remove it with lab down chain, or replace it with lab up --recreate",
      exitCode: 2,
    });
    const second = await up(runtime, chain, upOptions({ recreate: true }));
    expect(await readFile(join(second.replaced!.savedTo!, "timeline.jsonl"), "utf8")).toContain("from the first lab");
    expect(second.snapshot.overlay.partitions).toEqual([["alice", "bob", "carol", "dave"]]);
    expect(second.replaced).toMatchObject({ removedContainers: 5, removedNetworks: 1 });
  });
});

describe("a lab the kernel's neighbour table cannot hold", () => {
  const labs = new MemoryLabs();
  afterEach(() => labs.closeAll());

  it("is brought up with a warning naming the limit and the sysctl that raises it, before any peer starts", async () => {
    const runtime = labs.runtime();
    const progress: string[] = [];
    runtime.neighbourLimit = 4;
    const { lab } = await up(
      runtime,
      shipped("topologies/ring.yaml"),
      upOptions({ progress: (m) => progress.push(m) }),
    );
    const warning = progress.findIndex((line) => line.startsWith("warning: "));
    expect(progress[warning]).toMatch(/^warning: \d+ links need about \d+ neighbour \(ARP\) entries.* at most 4 /);
    expect(progress[warning]).toContain("sudo sysctl -w net.ipv4.neigh.default.gc_thresh3=");
    expect(warning).toBeLessThan(progress.findIndex((line) => line.startsWith("waiting for")));
    expect((await lab.snapshot()).overlay.partitions).toHaveLength(1);
  });

  it("is brought up without one when it fits", async () => {
    const runtime = labs.runtime();
    const progress: string[] = [];
    runtime.neighbourLimit = 1024;
    await up(runtime, shipped("topologies/ring.yaml"), upOptions({ progress: (m) => progress.push(m) }));
    expect(progress.filter((line) => line.startsWith("warning: "))).toEqual([]);
  });
});
