import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { authority, crossSiteRefusal, hostAllowed, newToken, tokenMatches } from "./request-guard.js";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("lab ui's request checks", () => {
  it("takes the Host the server listens as, and no name rebound to its address", () => {
    expect(hostAllowed("127.0.0.1:8080", "127.0.0.1", 8080)).toBe(true);
    expect(hostAllowed("[::1]:8080", "::1", 8080)).toBe(true);
    expect(authority("::1", 8080)).toBe("[::1]:8080");
    for (const header of [undefined, "127.0.0.1:8081", "localhost:8080", "attacker.example:8080", "127.0.0.1"])
      expect(hostAllowed(header, "127.0.0.1", 8080), String(header)).toBe(false);
  });

  it("listening on every address, takes any address with its port, never a name", () => {
    for (const host of ["0.0.0.0", "::"]) {
      expect(hostAllowed("192.168.1.10:8080", host, 8080)).toBe(true);
      expect(hostAllowed("[fe80::1]:8080", host, 8080)).toBe(true);
      expect(hostAllowed("192.168.1.10:9090", host, 8080)).toBe(false);
      expect(hostAllowed("attacker.example:8080", host, 8080)).toBe(false);
      expect(hostAllowed("not a host", host, 8080)).toBe(false);
    }
  });

  it("refuses another origin or another site's request, and takes a request that says neither", () => {
    const own = { host: "127.0.0.1:8080" };
    expect(
      crossSiteRefusal(request({ ...own, origin: "http://127.0.0.1:8080", "sec-fetch-site": "same-origin" })),
    ).toBe(undefined);
    expect(crossSiteRefusal(request(own))).toBe(undefined);
    expect(crossSiteRefusal(request({ ...own, origin: "http://evil.example" }))).toMatch(/^refused: a request from/);
    expect(crossSiteRefusal(request({ ...own, origin: "https://127.0.0.1:8080" }))).toMatch(/^refused/);
    expect(crossSiteRefusal(request({ ...own, "sec-fetch-site": "same-site" }))).toMatch(/^refused: a same-site/);
  });

  it("a token is 256 random bits, matched whole", () => {
    const token = newToken();
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(newToken()).not.toBe(token);
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token.slice(0, -1), token)).toBe(false);
    expect(tokenMatches(undefined, token)).toBe(false);
    expect(tokenMatches([token, token], token)).toBe(false);
  });
});
