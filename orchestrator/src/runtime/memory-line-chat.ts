import { once } from "node:events";
import { createServer, connect, type Socket } from "node:net";
import { ENDED, type Process, type Program } from "./memory-programs.js";

/**
 * The assignment's chat program (examples/c-p2pchat), as the memory runtime runs it, for the
 * flows' unit tests of stdio peers: `<username> [<host> <port>]...`, listening on a port it
 * chooses and printing `listening on port N`; each line on stdin is sent to every neighbour as
 * `username TAB text`; each frame received is printed as `username: text` and forwarded to every
 * other neighbour. No ids, no hello, no retry: a peer it dials must listen already, or it exits
 * 1. Diagnostics on stderr, as the C program's. One difference: it prints its ready line once it
 * has dialled its peers, not before, so a test's lab is linked when `up` returns (the C program's
 * last dial may still be under way then, until lab observes links from outside).
 */
export const lineChat: Program = async ({ argv, print, exit, network }) => {
  const [name, ...targets] = argv;
  if (!name || targets.length % 2 !== 0) {
    print("stderr", "usage: p2pchat <username> [<peer-host> <peer-port> ...]");
    exit(2);
    return ENDED;
  }
  const neighbours = new Set<Socket>();
  let frozen = false;
  const held: Array<() => void> = [];
  const say = (stream: "stdout" | "stderr", text: string): void => {
    const write = (): void => print(stream, text);
    if (frozen) held.push(write);
    else write();
  };
  const send = (frame: string, except?: Socket): void => {
    for (const neighbour of neighbours) if (neighbour !== except) neighbour.write(frame);
  };
  const attach = (socket: Socket): void => {
    neighbours.add(socket);
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      const frames = (pending + chunk.toString("utf8")).split("\n");
      pending = frames.pop()!;
      for (const frame of frames) {
        const tab = frame.indexOf("\t");
        if (tab <= 0) continue;
        say("stdout", `${frame.slice(0, tab)}: ${frame.slice(tab + 1)}`);
        send(`${frame}\n`, socket);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (neighbours.delete(socket)) say("stderr", `lost neighbour: closed the connection (${neighbours.size} left)`);
    });
  };

  const server = createServer((socket) => {
    say("stderr", "accepted connection");
    attach(socket);
  });
  await once(server.listen(0, "127.0.0.1"), "listening");
  const port = (server.address() as { port: number }).port;
  network.listen(port, port);
  const close = (): void => {
    server.close();
    for (const neighbour of neighbours) neighbour.destroy();
    neighbours.clear();
  };
  for (let i = 0; i < targets.length; i += 2) {
    const target = `${targets[i]}:${targets[i + 1]}`;
    const [host, at] = (await network.route(target)).split(":");
    const socket = connect(Number(at), host);
    const connected = await Promise.race([
      once(socket, "connect").then(() => true),
      once(socket, "error").then(() => false),
    ]);
    if (!connected) {
      say("stderr", `connect to ${target}: Connection refused`);
      close();
      exit(1);
      return ENDED;
    }
    say("stderr", `connected to ${target}`);
    attach(socket);
  }

  say("stdout", `listening on port ${port}`);

  let typed = "";
  const running: Process = {
    input: (chunk) => {
      const lines = (typed + chunk.toString("utf8")).split("\n");
      typed = lines.pop()!;
      for (const line of lines.map((text) => text.replace(/\r$/, "")).filter((text) => text !== "")) {
        if (neighbours.size === 0) say("stderr", "no neighbours: message not sent");
        else send(`${name}\t${line}\n`);
      }
    },
    // Under an init, SIGTERM's default action ends it at once.
    terminate: () => {
      close();
      exit(143);
    },
    kill: () => {
      held.length = 0;
      close();
    },
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const write of held.splice(0)) write();
    },
  };
  return running;
};
