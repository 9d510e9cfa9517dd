import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryLabs } from "../../../test/support/memory-lab.js";
import { EnvironmentError } from "../errors.js";
import { MEMORY_IMAGE_ARCHIVE_BYTES, MEMORY_PEER_IMAGE } from "./memory-runtime.js";
import { ImageNotFoundError, type Runtime } from "./runtime.js";
import { formatBytes, shipImage } from "./ship-image.js";

const labs = new MemoryLabs();
afterEach(() => labs.closeAll());

/** Two memory engines; the second lacks the reference peer image. */
function engines() {
  const from = labs.runtime();
  const to = labs.runtime();
  to.removeImage(MEMORY_PEER_IMAGE);
  return { from, to };
}

describe("shipImage", () => {
  it("streams the image into an engine that lacks it, which then holds it under the same id and runs it", async () => {
    const { from, to } = engines();
    expect(await to.imageId(MEMORY_PEER_IMAGE)).toBeUndefined();
    const lines: string[] = [];
    const shipped = await shipImage(from, to, MEMORY_PEER_IMAGE, (line) => lines.push(line), 64 * 1024);

    expect(shipped.bytes).toBe(MEMORY_IMAGE_ARCHIVE_BYTES);
    expect(await to.imageId(MEMORY_PEER_IMAGE)).toBe(await from.imageId(MEMORY_PEER_IMAGE));
    expect(lines.slice(0, -1)).toEqual([66, 131, 197, 262].map((kB) => `${MEMORY_PEER_IMAGE}: ${kB} kB shipped`));
    expect(lines.at(-1)).toMatch(new RegExp(`^${MEMORY_PEER_IMAGE}: shipped 262 kB in \\d+ms$`));

    await to.createNetwork("p2plab-ship", {});
    const id = await to.createContainer({
      name: "p2plab-ship_a",
      image: MEMORY_PEER_IMAGE,
      cmd: ["--name", "a", "--events", "json"],
      labels: {},
      network: "p2plab-ship",
      aliases: ["a"],
      hostname: "a",
      env: {},
    });
    await to.start(id);
    expect((await to.inspect(id)).state).toBe("running");
  });

  it("an image the source lacks: ImageNotFoundError, and the destination is untouched", async () => {
    const { from, to } = engines();
    await expect(shipImage(from, to, "ghost/peer:1", () => {})).rejects.toThrow(ImageNotFoundError);
    expect(await to.imageId("ghost/peer:1")).toBeUndefined();
  });

  it("a source that breaks off: an EnvironmentError saying so, and the destination refuses the cut archive", async () => {
    const { to } = engines();
    const breaking: Pick<Runtime, "saveImage"> = {
      saveImage: async () =>
        new Readable({
          read() {
            this.push(Buffer.alloc(1024));
            this.destroy(new Error("connection reset by peer"));
          },
        }),
    };
    const shipping = shipImage(breaking, to, MEMORY_PEER_IMAGE, () => {});
    await expect(shipping).rejects.toThrow(EnvironmentError);
    await expect(shipping).rejects.toThrow(
      `shipping ${MEMORY_PEER_IMAGE}: the source engine broke off its archive: connection reset by peer`,
    );
    expect(await to.imageId(MEMORY_PEER_IMAGE)).toBeUndefined();
  });

  it("a destination that refuses the archive: its refusal", async () => {
    const { to } = engines();
    const garbage: Pick<Runtime, "saveImage"> = { saveImage: async () => Readable.from([Buffer.from("not a tar\n")]) };
    await expect(shipImage(garbage, to, MEMORY_PEER_IMAGE, () => {})).rejects.toMatchObject({
      message: "load an image: unexpected EOF: not an archive saveImage made, or a part of one",
      exitCode: 3,
    });
  });

  it("a destination that gives up before the end: its error, and the source's stream is closed", async () => {
    const endless = new Readable({ read: () => endless.push(Buffer.alloc(1024)) });
    const refusing: Pick<Runtime, "loadImage"> = {
      loadImage: async () => {
        throw new Error("no space left on device");
      },
    };
    await expect(shipImage({ saveImage: async () => endless }, refusing, "p2plab/peer:1", () => {})).rejects.toThrow(
      "no space left on device",
    );
    expect(endless.destroyed).toBe(true);
  });
});

describe("formatBytes", () => {
  it("uses decimal units, as docker image ls does", () => {
    expect([999, 1000, 1500, 262_144, 332_000_000, 12_400_000, 2_500_000_000].map(formatBytes)).toEqual([
      "999 B",
      "1 kB",
      "1.5 kB",
      "262 kB",
      "332 MB",
      "12 MB",
      "2.5 GB",
    ]);
  });
});
