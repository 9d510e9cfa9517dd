import { describe, expect, it } from "vitest";
import { isLoopback } from "./ui.js";

describe("lab ui's warning about where it listens", () => {
  it("takes only loopback addresses as reachable from this machine alone", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", "128.0.0.1"])
      expect(isLoopback(host), host).toBe(false);
  });
});
