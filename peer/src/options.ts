import { parseArgs } from "node:util";
import { durationProblem, parseDuration } from "./duration.js";
import type { PeerOptions } from "./peer.js";
import { PEER_NAME } from "./wire.js";

/** The Peer's settings, plus what main.ts does itself: whom to dial, how to print events. */
export type PeerCliOptions = Omit<PeerOptions, "emit" | "diagnose" | "quit"> & {
  connect: string[];
  events: "json" | "text";
  /** `--crash-handler`: install the handlers crash-handler.ts is about. */
  crashHandler: boolean;
};

export const PEER_MODES = ["tree", "dedup", "heal"] as const;

export const USAGE = `usage: peer --name NAME [options]

A p2p chat peer: listens on TCP, connects to its --connect targets, prints one event per
line on stdout, and treats each line on stdin as a chat message, or as one of these commands:
  /peers, /connect HOST:PORT, /send REF TEXT, /quit
  /delay NEIGHBOUR|* DURATION [JITTER]
                         hold every frame written to NEIGHBOUR (* every one) for DURATION
                         ± JITTER, as a slow network would; 0 removes the delay

options:
  --name NAME            this peer's name (required)
  --port N               TCP port to listen on, all interfaces (default 7000; 0 picks one)
  --connect HOST:PORT    a neighbour to connect to; repeat for several
  --mode tree|dedup|heal tree: forward everything, ids unused (default); dedup: each id once;
                         heal: as dedup, keeps --min-neighbours links, dialling known
                         peers again when links go down, and sends payloads along a spanning
                         tree (Plumtree) among heal peers (peer/PROTOCOL.md §10)
  --events json|text     event format on stdout (default: text on a terminal, else json)
  --hop-limit N          drop messages after N hops (default 16)
  --heartbeat DURATION   ping interval (default 1s)
  --timeout DURATION     declare a silent neighbour down after this long, and close a
                         connection whose hello has not come by then (default 3s)
  --connect-window DUR   keep retrying --connect targets this long (default 30s)
  --seen-max N           dedup: most message ids remembered (default 10000)
  --seen-age DURATION    dedup: how long an id is remembered (default 60s)
  --graft-timeout DUR    heal: how long to wait for a message after a neighbour announced
                         its id, before asking that neighbour for it (default 500ms)
  --min-neighbours N     heal: links to keep, dialling known peers when short (default 2)
  --advertise HOST:PORT  the address other peers dial to reach this one, sent in hello
                         (default: this host's name and --port)
  --crash-handler        on an uncaught error, an unhandled rejection or SIGTERM, print a
                         crash-handler event and dial the --connect targets again (an
                         experiment: it cannot help when another peer crashes)
  --help                 show this help`;

/** The most links `--min-neighbours` may ask a heal peer to keep (topologies are held to it too). */
export const MAX_MIN_NEIGHBOURS = 64;

/** Parses the peer's argv; a string result is the error to print with the usage. */
export function parsePeerArgs(argv: string[], stdoutIsTty: boolean): PeerCliOptions | { help: true } | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        name: { type: "string" },
        port: { type: "string", default: "7000" },
        connect: { type: "string", multiple: true, default: [] },
        mode: { type: "string", default: "tree" },
        events: { type: "string" },
        "hop-limit": { type: "string", default: "16" },
        heartbeat: { type: "string", default: "1s" },
        timeout: { type: "string", default: "3s" },
        "connect-window": { type: "string", default: "30s" },
        "seen-max": { type: "string", default: "10000" },
        "seen-age": { type: "string", default: "60s" },
        "graft-timeout": { type: "string", default: "500ms" },
        "min-neighbours": { type: "string" },
        advertise: { type: "string" },
        "crash-handler": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    return (error as Error).message;
  }
  if (values.help) return { help: true };
  if (!values.name) return "--name is required";
  if (!PEER_NAME.test(values.name)) {
    return `--name "${values.name}": use letters, digits, '-', '_' or '.', at most 64 characters`;
  }
  const mode = PEER_MODES.find((known) => known === values.mode);
  if (!mode) return `--mode "${values.mode}": expected tree, dedup or heal`;
  if (values["min-neighbours"] !== undefined && mode !== "heal") {
    return `--min-neighbours applies to --mode heal only (this is --mode ${mode})`;
  }
  if (values.advertise !== undefined && !isAddress(values.advertise)) {
    return `--advertise "${values.advertise}": expected HOST:PORT in plain ASCII, e.g. alice:7000`;
  }
  const events = values.events ?? (stdoutIsTty ? "text" : "json");
  if (events !== "json" && events !== "text") return `--events "${events}": expected json or text`;

  const port = integer(values.port, "--port", 0, 65535);
  const hopLimit = integer(values["hop-limit"], "--hop-limit", 1, 1000);
  const seenMaxEntries = integer(values["seen-max"], "--seen-max", 1, 10_000_000);
  const minNeighbours = integer(values["min-neighbours"] ?? "2", "--min-neighbours", 1, MAX_MIN_NEIGHBOURS);
  const heartbeatMs = duration(values.heartbeat, "--heartbeat");
  const timeoutMs = duration(values.timeout, "--timeout");
  const connectWindowMs = duration(values["connect-window"], "--connect-window");
  const seenMaxAgeMs = duration(values["seen-age"], "--seen-age");
  const graftTimeoutMs = duration(values["graft-timeout"], "--graft-timeout");
  for (const value of [
    port,
    hopLimit,
    seenMaxEntries,
    minNeighbours,
    heartbeatMs,
    timeoutMs,
    connectWindowMs,
    seenMaxAgeMs,
    graftTimeoutMs,
  ]) {
    if (typeof value === "string") return value;
  }
  if ((timeoutMs as number) <= (heartbeatMs as number)) {
    return `--timeout (${values.timeout}) must be longer than --heartbeat (${values.heartbeat})`;
  }
  return {
    name: values.name,
    port: port as number,
    connect: values.connect,
    mode,
    events,
    hopLimit: hopLimit as number,
    heartbeatMs: heartbeatMs as number,
    timeoutMs: timeoutMs as number,
    connectWindowMs: connectWindowMs as number,
    seenMaxEntries: seenMaxEntries as number,
    seenMaxAgeMs: seenMaxAgeMs as number,
    graftTimeoutMs: graftTimeoutMs as number,
    minNeighbours: minNeighbours as number,
    ...(values.advertise === undefined ? {} : { advertise: values.advertise }),
    crashHandler: values["crash-handler"],
  };
}

/** `host:port` as a hello carries it: plain ASCII (wire.ts), a port from 1 to 65535. */
function isAddress(text: string): boolean {
  const match = /^[!#-[\]-~]{1,249}:(\d{1,5})$/.exec(text);
  return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65535;
}

function integer(text: string, flag: string, min: number, max: number): number | string {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    return `${flag} "${text}": expected an integer from ${min} to ${max}`;
  return value;
}

function duration(text: string, flag: string): number | string {
  const problem = durationProblem(text);
  if (problem) return `${flag} "${text}": ${problem}`;
  const ms = parseDuration(text)!;
  if (ms <= 0) return `${flag} "${text}": must be longer than zero`;
  return ms;
}
