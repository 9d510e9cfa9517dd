import { describe, expect, it } from "vitest";
import { neighbourTableWarning } from "./neighbour-table.js";

describe("neighbourTableWarning", () => {
  it("says nothing while the links' entries fit, or when the limit is unknown (a remote engine)", () => {
    expect(neighbourTableWarning(384, 1024)).toBeUndefined();
    expect(neighbourTableWarning(512, 1024)).toBeUndefined();
    expect(neighbourTableWarning(5000, undefined)).toBeUndefined();
  });

  it("names the limit, the sysctl and a value that fits when a 512-peer lab would overflow the default", () => {
    const warning = neighbourTableWarning(770, 1024);
    expect(warning).toContain("770 links need about 1540 neighbour (ARP) entries");
    expect(warning).toContain("at most 1024");
    expect(warning).toContain("EHOSTUNREACH");
    expect(warning).toContain(
      "sudo sysctl -w net.ipv4.neigh.default.gc_thresh3=4096 net.ipv4.neigh.default.gc_thresh2=2048",
    );
  });
});
