import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * The page's only policy, here once: its own script and styles (inline styles allowed, inline
 * script not), nothing fetched from elsewhere, no framing.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** On every response. */
export const SECURITY_HEADERS = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/** Where a state-changing request carries the page's token. */
export const TOKEN_HEADER = "x-p2plab-token";
export const MAX_BODY_BYTES = 16 * 1024;

/** A server's token: 256 random bits, embedded in its page. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** host:port as a URL and a Host header write it (an IPv6 address in brackets). */
export function authority(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * Whether a request's Host header names this server as it listens (`host`, `port`): a page
 * served under another name is how DNS rebinding reaches a loopback server from another site.
 * Listening on every address (0.0.0.0, ::), any address with the port is this machine's, never a name.
 */
export function hostAllowed(header: string | undefined, host: string, port: number): boolean {
  if (header === undefined) return false;
  if (header === authority(host, port)) return true;
  if (host !== "0.0.0.0" && host !== "::") return false;
  let url: URL;
  try {
    url = new URL(`http://${header}`);
  } catch {
    return false;
  }
  return Number(url.port) === port && isIP(url.hostname.replace(/^\[|\]$/g, "")) !== 0;
}

/**
 * Why a state-changing request did not come from this server's own page (its Host checked
 * already); undefined when it did. Origin and Sec-Fetch-Site are checked when the browser sends them.
 */
export function crossSiteRefusal(request: IncomingMessage): string | undefined {
  const origin = request.headers.origin;
  const own = `http://${request.headers.host}`;
  if (origin !== undefined && origin !== own) return `refused: a request from ${origin}, not from this page (${own})`;
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return `refused: a ${site} request, not one from this page`;
  return undefined;
}

/** In constant time: how long the comparison takes says nothing of the token. */
export function tokenMatches(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The body as text; undefined when it is larger than MAX_BODY_BYTES (the rest is not read). */
export async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
