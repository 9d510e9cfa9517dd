import { describe, expect, it } from "vitest";
import { InputError } from "../../errors.js";
import { hostAddress, isLoopback, portNumber } from "./ui.js";

describe("lab ui's warning about where it listens", () => {
  it("takes only loopback addresses as reachable from this machine alone", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", "128.0.0.1"])
      expect(isLoopback(host), host).toBe(false);
  });
});

describe("lab ui's --port and --host", () => {
  it("takes a port in digits only, 0 for a free one, and refuses what Number() would read otherwise", () => {
    expect(portNumber("0")).toBe(0);
    expect(portNumber("8080")).toBe(8080);
    expect(portNumber("65535")).toBe(65535);
    for (const text of ["", " ", "0x50", "1e3", "1.5", "-1", "65536", "70000", "abc", "80 "]) {
      expect(() => portNumber(text), JSON.stringify(text)).toThrow(InputError);
    }
  });

  it("takes an IPv6 address in brackets as the address", () => {
    expect(hostAddress("[::1]")).toBe("::1");
    expect(hostAddress("::1")).toBe("::1");
    expect(hostAddress("127.0.0.1")).toBe("127.0.0.1");
    expect(isLoopback(hostAddress("[::1]"))).toBe(true);
  });
});
