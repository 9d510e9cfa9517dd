// What bench/ui.mjs and bench/ui-history.mjs share: a `lab ui` started as a user starts it, a
// follower of its event stream that counts what it sent, a paced flood into a peer, CPU from /proc.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { run } from "./harness.mjs";
import { cpuTicks, lagFigures } from "./ui-figures.mjs";

const PACED_FLOOD = readFileSync(new URL("./paced-flood.cjs", import.meta.url), "utf8");
/** Clock ticks a second (getconf CLK_TCK on Linux). */
export const TICKS = 100;

/** A paced flood of `rate` messages a second into p1, from inside its container. */
export async function flood(name, rate, forSeconds, tag) {
  const { stdout } = await run("docker", [
    "exec",
    `p2plab-${name}_p1`,
    "node",
    "-e",
    PACED_FLOOD,
    String(rate),
    String(forSeconds),
    tag,
  ]);
  return JSON.parse(stdout);
}

/** `lab ui` for the lab (run by `cli`, the built one unless said), its URL, its pid, and a counter of the feed items it sends (an event stream of its own). */
export async function startUi(name, results, cli = "dist/lab.js") {
  const child = spawn(process.execPath, [cli, "ui", name, "--results", results], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let printed = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab ui printed no URL within 30 s:\n${printed}`)), 30_000);
    const seen = (chunk) => {
      printed += chunk;
      const found = /^(http:\/\/\S+)\n/m.exec(printed);
      if (found) (clearTimeout(timer), resolve(found[1]));
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("close", (code) => (clearTimeout(timer), reject(new Error(`lab ui ended (${code}):\n${printed}`))));
  });
  const counter = await feedCounter(url);
  const closed = new Promise((resolve) => child.on("close", resolve));
  return {
    url,
    pid: child.pid,
    counter,
    stop: async () => {
      counter.close();
      child.kill("SIGINT");
      await closed;
    },
  };
}

/**
 * Follows the server's event stream as a page does and counts the feed items carrying each tag:
 * what the server sent every page, and when it came out. It is one more stream for the server to write.
 */
export function feedCounter(url) {
  const counts = new Map();
  /** Per tag, when each item came out of the server and its peer's ts. */
  const lags = new Map();
  let statuses = 0;
  const waiters = new Set();
  return new Promise((resolve, reject) => {
    const request = get(new URL("events", url), (response) => {
      let buffer = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (message.startsWith("event: status\n")) statuses++;
          if (!message.startsWith("event: feed\n")) continue;
          const at = Date.now();
          for (const item of JSON.parse(message.slice(message.indexOf("data: ") + 6))) {
            const tag = /^\S+/.exec(item.event?.text ?? "")?.[0];
            if (!tag) continue;
            counts.set(tag, (counts.get(tag) ?? 0) + 1);
            lags.set(tag, [...(lags.get(tag) ?? []), { at, ts: Date.parse(item.ts) }]);
          }
          waiters.forEach((check) => check());
        }
      });
      resolve({
        count: (tag) => counts.get(tag) ?? 0,
        /** The lag of the tag's items as they came out of the server: what no page can do better than. */
        lag: (tag) => lagFigures(lags.get(tag) ?? []),
        /** Status events sent so far (each redraws every page's graph). */
        statuses: () => statuses,
        /** Until `expected` items carry the tag, or `quietMs` pass without one more. */
        until: (tag, expected, quietMs) =>
          new Promise((done) => {
            let timer;
            const finish = () => (clearTimeout(timer), waiters.delete(check), done());
            const check = () => {
              if ((counts.get(tag) ?? 0) >= expected) return finish();
              clearTimeout(timer);
              timer = setTimeout(finish, quietMs);
            };
            waiters.add(check);
            check();
          }),
        close: () => request.destroy(),
      });
    });
    request.on("error", reject);
  });
}

/** The utime + stime of the processes, in clock ticks (a process gone counts nothing). */
export function ticksOf(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      ticks += cpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {}
  }
  return ticks;
}
