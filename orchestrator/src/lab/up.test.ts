import { describe, expect, it } from "vitest";
import { planLab } from "../plan/plan.js";
import { InputError } from "../errors.js";
import { ImageNotFoundError, NameInUseError, type ContainerSpec, type Runtime } from "../runtime/runtime.js";
import { loadTopology } from "../topology/load.js";
import type { Topology } from "../topology/schema.js";
import { LabBusyError, up, type UpOptions } from "./up.js";

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
function scriptedRuntime(answers: Partial<Record<keyof Runtime, (...args: never[]) => unknown>>): { runtime: Runtime; calls: string[] } {
  const calls: string[] = [];
  const runtime = new Proxy({} as Runtime, {
    get: (_target, method: string) =>
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
      listContainers: () => [],
      ensurePeerImage: () => "p2plab/peer:test",
      createContainer: (spec: ContainerSpec) => {
        throw new NameInUseError(spec.name);
      },
    });
    const attempt = up(runtime, topology, options);
    await expect(attempt).rejects.toThrow(LabBusyError);
    await expect(attempt).rejects.toMatchObject({ message: 'lab "duo" is already running or being started', exitCode: 2 });
    expect(calls).toEqual(["listNetworks", "listContainers", "ensurePeerImage", "createContainer"]);
  });

  it("creates the journal, on no network, before the network and the peers", async () => {
    const created: ContainerSpec[] = [];
    const { runtime, calls } = scriptedRuntime({
      listNetworks: () => [],
      listContainers: () => [],
      ensurePeerImage: () => "p2plab/peer:test",
      createContainer: (spec: ContainerSpec) => {
        created.push(spec);
        return `id-${created.length}`;
      },
      start: () => {
        throw new Error("the engine broke");
      },
    });
    await expect(up(runtime, topology, { ...options, onFailure: "leave" })).rejects.toThrow("the engine broke");
    expect(calls).toEqual(["listNetworks", "listContainers", "ensurePeerImage", "createContainer", "start"]);
    expect(created).toEqual([planLab(topology, "p2plab/peer:test").journal]);
    expect(created[0]!.network).toBeUndefined();
  });
});

describe("a peer image the engine does not have", () => {
  const named = loadTopology("name: duo\ndescription: d\npeers:\n  a: { image: ghost/peer:1 }\n  b: { connect: [a] }\n", "duo.yaml");
  if (!named.ok) throw new Error("the test topology does not load");

  /** The journal and network are made; each peer's create answers that its image is missing. */
  function engineWithoutImages() {
    let created = 0;
    return scriptedRuntime({
      listNetworks: () => [],
      listContainers: () => [],
      ensurePeerImage: () => "p2plab/peer:test",
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
    await expect(attempt).rejects.toMatchObject({ message: "peer a's image ghost/peer:1 is not on this engine", exitCode: 2 });
  });

  it("the reference image, built a moment ago: the environment (exit 3), not the input", async () => {
    const attempt = up(engineWithoutImages(), topology, { ...options, onFailure: "leave" });
    await expect(attempt).rejects.toMatchObject({ message: expect.stringMatching(/^peer a did not start from image p2plab\/peer:test: /), exitCode: 3 });
  });
});
