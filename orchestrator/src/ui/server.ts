import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { InputError, LabError } from "../errors.js";
import { NETWORK_FAULT_NAMES } from "../faults/network-faults.js";
import { PROCESS_FAULT_NAMES } from "../faults/process-faults.js";
import type { Lab, LabSnapshot } from "../lab/lab.js";
import { LiveLab, type LiveLabEnd } from "../lab/live-lab.js";
import { isFeedLine, statusLine } from "../lab/live-text.js";
import { overlaySnapshot } from "../scenario/steps.js";
import type { LinkRecord } from "../transcript/link-records.js";
import { formatPeerLine, formatRecord, type PeerLine } from "../transcript/transcript.js";
import { EventPages } from "./event-pages.js";
import { SAVED_REPORT_PATH, labDown } from "./lab-down.js";
import { pageHtml, pageScriptFile } from "./page-html.js";
import {
  MAX_BODY_BYTES,
  SECURITY_HEADERS,
  TOKEN_HEADER,
  authority,
  crossSiteRefusal,
  hostAllowed,
  newToken,
  readBody,
  tokenMatches,
} from "./request-guard.js";
import type { UiActionRequest, UiActionResult, UiEvents, UiFeedItem, UiHello, UiStatus } from "./protocol.js";

export interface UiServerOptions {
  lab: Lab;
  /** Where it listens: 127.0.0.1 unless said. */
  host: string;
  /** 0: a free port. */
  port: number;
  /** Stops it (Ctrl-C); the lab keeps running. */
  signal: AbortSignal;
  /** Where `lab down` saves the lab's transcripts: looked in when the lab is brought down. */
  resultsDir: string;
  /**
   * Does one control as its CLI command would and gives the lines it prints (cli/ui-actions.ts):
   * the commands' words and output are the CLI's, so it is handed in rather than imported here.
   */
  act(request: UiActionRequest, signal: AbortSignal): Promise<string[]>;
}

export interface UiServer {
  url: string;
  /** What the pages were told when the lab ended (brought down, the engine gone); undefined when serving stopped first. */
  ended: Promise<string | undefined>;
  /** Stops serving and following; the lab keeps running. */
  close(): Promise<void>;
}

/** The feed lines a page gets in its hello: what happened before it opened. */
export const FEED_BACKLOG = 200;
/** Status and feed go out at most this often, changes in between coalesced: a page sees a change within 250 ms. */
const FLUSH_MS = 100;
/**
 * How long a request may take to arrive whole, headers and body (16 KiB at most): a client that
 * never finishes one is hung up on rather than holding a connection. An event stream's request
 * is whole once its headers are in, so this does not end it.
 */
export const REQUEST_TIMEOUT_MS = 5_000;
/**
 * Event streams open at once: a class's browsers, a tab or two each. With what each may fall
 * behind (event-pages.ts), it bounds the memory pages can hold; more are refused until one closes.
 */
export const MAX_PAGES = 100;
/** Actions that may wait their turn at once (a class of pages each clicking); more are refused as too many. */
const MAX_QUEUED_ACTIONS = 16;

/**
 * `lab ui`'s server, on node:http: four routes, one server-sent event stream and one JSON POST
 * do not need a framework, and the checks that matter here (token, Origin, Host) are a few lines
 * each, plain to read. One LiveLab follows the lab for every page open on it, so pages cost the
 * engine nothing; each page gets a hello (the lab as it stands and the recent feed), then the
 * status when it changed and the feed in batches, at most every 100 ms, and the end (`lab-down`,
 * `engine-gone`). Actions need the page's token, and the Origin, Sec-Fetch-Site and Host of the
 * server itself: another site open in the same browser, or a DNS name rebound to this address,
 * is refused.
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { lab, signal } = options;
  const startedAt = Date.now();
  const token = newToken();
  const stop = new AbortController();
  const until = AbortSignal.any([signal, stop.signal]);
  const pages = new EventPages();
  const backlog: UiFeedItem[] = [];
  let pendingFeed: UiFeedItem[] = [];
  let statusDue = false;
  let lastStatus = "";
  let flushTimer: NodeJS.Timeout | undefined;
  let lastFlush = 0;
  let final: { type: "lab-down" | "engine-gone"; data: UiEvents["lab-down"] | UiEvents["engine-gone"] } | undefined;
  const endMessage = (): string | undefined => final?.data.message;
  let savedReport: string | undefined;
  /** The actions asked for, done one after another in the order they came, from every page. */
  let queue: Promise<unknown> = Promise.resolve();
  let queued = 0;

  const feed = (item: UiFeedItem): void => {
    backlog.push(item);
    if (backlog.length > FEED_BACKLOG) backlog.shift();
    pendingFeed.push(item);
    schedule();
  };
  const schedule = (): void => {
    // No page open: what a page opened later needs is in its hello.
    if (pages.size === 0) pendingFeed = [];
    else flushTimer ??= setTimeout(flush, Math.max(0, lastFlush + FLUSH_MS - Date.now()));
  };
  const live = await LiveLab.open(lab, until, {
    line: (line) => {
      if (isFeedLine(line)) feed(feedItem(line));
    },
    polled: (written) => written.forEach((record) => feed(observedItem(record))),
    changed: () => {
      statusDue = true;
      schedule();
    },
  }).catch((error: unknown) => {
    pages.close();
    throw error;
  });
  const status = (): UiStatus => statusOf(live.snapshot());
  const flush = (): void => {
    flushTimer = undefined;
    lastFlush = Date.now();
    // A page has had a flush's time to take what it was sent.
    pages.dropBehind();
    if (pendingFeed.length) pages.broadcast("feed", pendingFeed.splice(0));
    if (statusDue) {
      statusDue = false;
      const now = status();
      const shown = JSON.stringify({ ...now, overlay: { ...now.overlay, at: "" } });
      if (shown !== lastStatus) {
        lastStatus = shown;
        pages.broadcast("status", now);
      }
    }
  };

  const ending = live.ended.then(
    async (end) => {
      if (!end) return;
      flush();
      final = await finalEvent(end);
      pages.broadcast(final.type, final.data as never);
    },
    (error: unknown) => {
      // A failure that is not the engine going away: said as the end of the stream, with what failed.
      final = { type: "engine-gone", data: { message: `following the lab failed: ${(error as Error).message}` } };
      pages.broadcast(final.type, final.data as never);
    },
  );

  /** What to tell pages when the lab ended. */
  const finalEvent = async (end: LiveLabEnd): Promise<NonNullable<typeof final>> => {
    if (end.reason === "engine-gone") {
      const { message, hint } = end.error;
      return { type: "engine-gone", data: { message: hint ? `${message}; fix: ${hint}` : message } };
    }
    const down = await labDown(options.resultsDir, lab.name, startedAt);
    savedReport = down.reportFile;
    return { type: "lab-down", data: down.event };
  };

  const hello = (): UiHello => ({
    lab: lab.name,
    ...(lab.topology.description === undefined ? {} : { description: lab.topology.description }),
    peers: lab.peerNames,
    links: lab.topology.links.map(([a, b]) => [a, b] as [string, string]),
    networkFaults: true,
    status: status(),
    feed: [...backlog],
  });

  // Checked every second rather than Node's 30 s, so a slow request ends close to its deadline.
  const server = createServer(
    { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    (request, response) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          json(response, 500, { ok: false, error: `internal error: ${(error as Error).message}` });
        else response.destroy();
      });
    },
  );
  let served = { host: options.host, port: options.port };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!hostAllowed(request.headers.host, served.host, served.port)) {
      return json(response, 403, {
        ok: false,
        error: `refused: the Host header is not this server's (${served.host})`,
      });
    }
    const path = (request.url ?? "/").split("?")[0];
    const route = `${request.method} ${path}`;
    if (route === "GET /") return text(response, 200, "text/html", pageHtml({ lab: lab.name, token }));
    if (route === "GET /page.js") {
      const script = await readFile(pageScriptFile(), "utf8").catch(() => undefined);
      if (script === undefined) {
        return text(response, 404, "text/plain", "the page's script is not built: run npm run build");
      }
      return text(response, 200, "text/javascript", script);
    }
    if (route === "GET /events") return openEvents(response);
    // Browsers ask for it on every page load: nothing, rather than a 404 in the page's console.
    if (route === "GET /favicon.ico") return void response.writeHead(204).end();
    if (route === `GET ${SAVED_REPORT_PATH}` && savedReport) {
      return text(response, 200, "text/html", await readFile(savedReport, "utf8"));
    }
    if (route === "POST /api/action") return action(request, response);
    if (["/", "/page.js", "/events", "/api/action"].includes(path ?? "")) {
      return text(response, 405, "text/plain", `${request.method} is not served at ${path}`);
    }
    return text(response, 404, "text/plain", `nothing at ${path}`);
  };

  const openEvents = (response: ServerResponse): void => {
    if (pages.size >= MAX_PAGES) {
      return text(
        response,
        503,
        "text/plain",
        `${MAX_PAGES} pages are open on this lab already: close one, then reload`,
      );
    }
    // What waits to go out is in the hello already: the others get it now, so this page gets it once.
    clearTimeout(flushTimer);
    flush();
    pages.open(response);
    pages.send(response, "hello", hello());
    if (final) pages.send(response, final.type, final.data as never);
  };

  const action = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refused = crossSiteRefusal(request);
    if (refused) return json(response, 403, { ok: false, error: refused });
    if (!tokenMatches(request.headers[TOKEN_HEADER], token)) {
      return json(response, 403, { ok: false, error: "refused: the request lacks this page's token" });
    }
    if (!/^application\/json\s*(;|$)/i.test(request.headers["content-type"] ?? "")) {
      return json(response, 415, { ok: false, error: "send the action as application/json" });
    }
    const body = await readBody(request);
    if (body === undefined) {
      return json(response, 413, { ok: false, error: `the action is larger than ${MAX_BODY_BYTES} bytes` });
    }
    let asked: UiActionRequest;
    try {
      asked = parseAction(body);
    } catch (error) {
      return json(response, 400, { ok: false, error: (error as Error).message });
    }
    if (final) return json(response, 409, { ok: false, error: final.data.message });
    if (queued >= MAX_QUEUED_ACTIONS) {
      return json(response, 429, {
        ok: false,
        error: `${queued} actions are waiting their turn already`,
        hint: "wait for their results, then try again",
      });
    }
    // One at a time, as from one shell: two pages' kills of one peer get the CLI's second answer, not a race.
    queued++;
    const done = queue.then(() => (final || until.aborted ? undefined : options.act(asked, until)));
    queue = done.catch(() => undefined);
    try {
      const lines = await done;
      if (lines === undefined) {
        // Not done: the lab ended while it waited its turn, or lab ui is stopping.
        const ended = endMessage();
        if (ended !== undefined) return json(response, 409, { ok: false, error: ended });
        return json(response, 503, { ok: false, error: "lab ui is stopping: not done" });
      }
      return json(response, 200, { ok: true, lines });
    } catch (error) {
      if (until.aborted && !(error instanceof LabError)) {
        return json(response, 503, {
          ok: false,
          error: `lab ui is stopping: ${asked.action} cut short`,
          hint: "lab status shows what was done",
        });
      }
      if (error instanceof InputError) return json(response, 400, failed(error));
      if (error instanceof LabError) return json(response, 500, failed(error));
      return json(response, 500, { ok: false, error: `internal error, a bug in p2plab: ${(error as Error).message}` });
    } finally {
      queued--;
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, options.host, options.port)));
      server.listen(options.port, options.host, resolve);
    });
  } catch (error) {
    pages.close();
    await live.close();
    throw error;
  }
  served = { host: options.host, port: (server.address() as AddressInfo).port };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stop.abort();
      // The action under way ends as from a shell on Ctrl-C: done and journalled, its waiting cut short.
      await queue;
      clearTimeout(flushTimer);
      pages.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await live.close();
      await ending;
    })());
  if (signal.aborted) await close();
  else signal.addEventListener("abort", () => void close(), { once: true });

  return { url: `http://${authority(served.host, served.port)}/`, ended: ending.then(endMessage), close };
}

/** Why it cannot listen there, said as the user's to fix; anything else as it came. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = authority(host, port);
  if (error.code === "EADDRINUSE") {
    return new InputError(
      `cannot listen on ${where}: the port is in use`,
      "choose another with --port, or leave it out for a free one",
    );
  }
  if (error.code === "EACCES") {
    return new InputError(`cannot listen on ${where}: permission denied`, "choose a port above 1023 with --port");
  }
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
    return new InputError(
      `cannot listen on ${host}: no such address on this machine`,
      "give one of its addresses with --host, or leave it out for 127.0.0.1",
    );
  }
  return error;
}

/** The status a page draws: the report's snapshot of the lab now, `watch`'s status line, the journal's state. */
function statusOf(snapshot: LabSnapshot): UiStatus {
  return { overlay: overlaySnapshot("now", snapshot), line: statusLine(snapshot), journal: snapshot.journal };
}

function feedItem(line: PeerLine): UiFeedItem {
  return { ts: line.ts, peer: line.peer, text: formatPeerLine(line), ...(line.event ? { event: line.event } : {}) };
}

function observedItem(record: LinkRecord): UiFeedItem {
  return { ts: record.ts, peer: record.target, text: formatRecord(record) };
}

const ACTION_SCHEMA = z.union([
  z.object({
    action: z.enum(PROCESS_FAULT_NAMES),
    peer: z.string().max(200),
  }),
  z.object({ action: z.literal("send"), peer: z.string().max(200), text: z.string() }),
  z.object({
    action: z.enum(NETWORK_FAULT_NAMES),
    args: z.array(z.string().max(1000)).max(200),
  }),
]);

/** The POST's body as an action; what is not one is refused with what was wrong. */
function parseAction(body: string): UiActionRequest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new InputError("the action is not JSON");
  }
  const parsed = ACTION_SCHEMA.safeParse(value);
  if (!parsed.success) {
    throw new InputError(
      'not an action: send {"action": "kill", "peer": "bob"}, {"action": "send", "peer": "alice", "text": "hi"} or {"action": "cut", "args": ["alice", "bob"]}',
    );
  }
  return parsed.data;
}

function failed(error: LabError): UiActionResult {
  return { ok: false, error: error.message, ...(error.hint ? { hint: error.hint } : {}) };
}

function json(response: ServerResponse, code: number, body: UiActionResult | { ok: false; error: string }): void {
  text(response, code, "application/json", JSON.stringify(body));
}

function text(response: ServerResponse, code: number, type: string, body: string): void {
  response.writeHead(code, { "Content-Type": `${type}; charset=utf-8` });
  response.end(body);
}
