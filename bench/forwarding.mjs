// Forwarding throughput of the reference peer on loopback, no container: one peer (dist/peer.cjs,
// tree mode) between a fake source and a fake sink, both plain TCP clients that say hello. The
// source writes N messages; the figure is N over the time from its first write to the N-th
// message read at the sink, and the peer's CPU time (from /proc) per message.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { stats } from "./harness.mjs";

export async function measureForwarding({ messages, runs }) {
  const perSecond = [];
  const cpuMicros = [];
  const rssMiB = [];
  for (let i = 0; i < runs; i++) {
    const figure = await forwardOnce(messages);
    perSecond.push(Math.round(figure.perSecond));
    cpuMicros.push(Math.round(figure.cpuMicrosPerMessage * 100) / 100);
    rssMiB.push(Math.round(figure.rssMiB * 10) / 10);
  }
  return {
    messages,
    runs,
    perSecond: stats(perSecond),
    cpuMicrosPerMessage: stats(cpuMicros),
    peakRssMiB: stats(rssMiB),
  };
}

async function forwardOnce(messages) {
  const peer = spawn(process.execPath, ["dist/peer.cjs", "--name", "fwd", "--port", "0", "--events", "json"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  try {
    const events = eventsOf(peer);
    const { port } = await events.next("listening");
    const sink = await neighbour(port, "sink");
    await events.next("link-up");
    const source = await neighbour(port, "source");
    await events.next("link-up");
    const cpuBefore = cpuTicks(peer.pid);
    const started = process.hrtime.bigint();
    const received = countMessages(sink, messages);
    await writeMessages(source, messages);
    await received;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuSeconds = (cpuTicks(peer.pid) - cpuBefore) / 100;
    const rssMiB = Number(readFileSync(`/proc/${peer.pid}/status`, "utf8").match(/VmHWM:\s+(\d+) kB/)[1]) / 1024;
    source.destroy();
    sink.destroy();
    return { perSecond: messages / seconds, cpuMicrosPerMessage: (cpuSeconds * 1e6) / messages, rssMiB };
  } finally {
    peer.kill("SIGKILL");
  }
}

/** The peer's events, awaited one kind at a time. */
function eventsOf(child) {
  const waiting = [];
  let partial = "";
  child.stdout.on("data", (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    for (const line of lines) {
      if (waiting.length === 0 || !line.includes(`"ev":"${waiting[0].ev}"`)) continue;
      waiting.shift().resolve(JSON.parse(line));
    }
  });
  return { next: (ev) => new Promise((resolve) => waiting.push({ ev, resolve })) };
}

function neighbour(port, name) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`{"type":"hello","name":"${name}","listen":"${name}:0","version":1}\n`);
      resolve(socket);
    });
    socket.on("error", reject);
  });
}

function countMessages(socket, expected) {
  return new Promise((resolve) => {
    let seen = 0;
    let partial = "";
    socket.on("data", (chunk) => {
      const lines = (partial + chunk.toString("latin1")).split("\n");
      partial = lines.pop();
      seen += lines.filter((line) => line.includes('"type":"msg"')).length;
      if (seen >= expected) resolve();
    });
  });
}

function writeMessages(socket, count) {
  return new Promise((resolve) => {
    let i = 0;
    const write = () => {
      while (i < count) {
        i += 1;
        if (!socket.write(`{"type":"msg","id":"source:b:${i}","origin":"source","text":"forward ${i}","hops":1}\n`))
          return socket.once("drain", write);
      }
      resolve();
    };
    write();
  });
}

/** utime + stime of a process, in clock ticks (1/100 s). */
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]);
}
