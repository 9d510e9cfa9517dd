import { statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { placeholderProblems, usesOwnPort } from "../adapter/placeholders.js";
import { sendTemplateProblem } from "../adapter/send-template.js";
import { stdioInterfaceProblems } from "../adapter/stdio-adapter.js";
import type { StartPeer } from "../adapter/start-order.js";
import type { PeerBuild, PeerSpec } from "./schema.js";

/**
 * What runs in a peer's container and how lab talks to it, as facts derived from its spec, and
 * the rules its program settings must keep. One owner for both, read by the loader (which places
 * each problem in the file), the stored topology's check, the planner and `lab up`.
 */

/** The port lab gives a peer (`{port}`; the reference flags' `--port`): each container has its own. */
export const PEER_PORT = 7000;

/** The port a peer listens on when lab decides it; undefined when the program chooses it and announces it. */
export function fixedPort(peer: PeerSpec): number | undefined {
  return portAtRuntime(peer) ? undefined : PEER_PORT;
}

/** The reference peer's flags are given (no `command`): the program takes `--port 7000` and prints JSON events. */
export function takesReferenceFlags(peer: PeerSpec): boolean {
  return peer.command === undefined;
}

/**
 * The program chooses its port and announces it in its ready line: its command passes no
 * `{port}`. The reference flags always pass the lab's port.
 */
export function portAtRuntime(peer: PeerSpec): boolean {
  return !takesReferenceFlags(peer) && !usesOwnPort(peer);
}

/**
 * It retries a dial until the other end listens, as the reference contract requires
 * (peer/PROTOCOL.md). A program with a command of its own is assumed not to: the assignment's
 * programs exit when the peer they dial is not there yet.
 */
export function retriesDials(peer: PeerSpec): boolean {
  return takesReferenceFlags(peer) && peer.interface.events === "json";
}

/** It prints link events (link-up, link-down); a stdio program's links can only be observed from outside. */
export function reportsLinks(peer: PeerSpec): boolean {
  return peer.interface.events === "json";
}

/** The peers as start-order.ts plans them. */
export function startPeers(peers: readonly PeerSpec[]): StartPeer[] {
  return peers.map((peer) => ({
    name: peer.name,
    connect: peer.connect,
    portAtRuntime: portAtRuntime(peer),
    retriesDials: retriesDials(peer),
  }));
}

/** A problem with one peer's program settings; `path` is from the peer (`["interface", "ready"]`, `["command", 2]`). */
export interface ProgramProblem {
  path: Array<string | number>;
  /** Characters into that string value where the problem starts, when known. */
  offset?: number;
  message: string;
  hint?: string;
}

/**
 * Every problem with a peer's command, env and interface, given the peers it dials: placeholders
 * (placeholders.ts), the stdio expressions (stdio-adapter.ts; the ready line must capture the
 * port when the program chooses it) and the send template.
 */
export function programProblems(peer: PeerSpec): ProgramProblem[] {
  const problems: ProgramProblem[] = placeholderProblems(
    { ...(peer.command ? { command: peer.command } : {}), env: peer.env },
    peer,
  );
  if (peer.interface.events === "stdio") {
    const { events: _events, send, ...stdio } = peer.interface;
    for (const problem of stdioInterfaceProblems(stdio, { requirePort: portAtRuntime(peer) })) {
      problems.push({ ...problem, path: ["interface", ...problem.path] });
    }
    const sendProblem = sendTemplateProblem(send);
    if (sendProblem) problems.push({ path: ["interface", "send"], ...sendProblem });
  }
  return problems;
}

/** Why a build cannot start (its context is no directory, or holds no such Dockerfile), or undefined. */
export function buildContextProblem(
  build: PeerBuild,
): { field: "context" | "dockerfile"; message: string; hint: string } | undefined {
  const kind = (path: string): "directory" | "file" | "other" | undefined => {
    try {
      const stats = statSync(path);
      return stats.isDirectory() ? "directory" : stats.isFile() ? "file" : "other";
    } catch {
      return undefined;
    }
  };
  const context = kind(build.context);
  if (context !== "directory") {
    return {
      field: "context",
      message: `${build.context} ${context === undefined ? "does not exist" : "is not a directory"}`,
      hint: "the build context is a directory, relative to the topology file",
    };
  }
  const dockerfile = resolve(build.context, build.dockerfile);
  const inside = relative(build.context, dockerfile);
  if (inside.startsWith("..") || isAbsolute(inside)) {
    return {
      field: "dockerfile",
      message: `${build.dockerfile} is outside the context ${build.context}`,
      hint: "the Dockerfile is sent with the context: give a path inside it",
    };
  }
  if (kind(dockerfile) !== "file") {
    return {
      field: "dockerfile",
      message: `the context ${build.context} has no ${build.dockerfile}`,
      hint: "write one, or name it with dockerfile:",
    };
  }
  return undefined;
}
