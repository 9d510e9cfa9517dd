// Network probes for test/integration/network.int.test.ts, run inside containers as `node -e <this file> MODE ARGS`
// (any image with node: the reference peer's, and its base, which has no iptables). Each prints one line.
//   serve                 the container's process: TCP 7100 (a first line "count TAG", "sink" or "echo"), UDP 7200
//   connect HOST[:PORT] MS  "connected", "timeout" (no answer within MS) or the error's code (ECONNREFUSED);
//                         the port is the probe server's unless given (a peer listens on 7000)
//   udp HOST TAG N        sends N datagrams "TAG:i" to HOST:7200, one after the other; {"sent", "refused"}: how
//                         many sends failed with EPERM (dropped by the sender's own OUTPUT chain)
//   count TAG             the datagrams of TAG this container's `serve` received (asked over lo)
//   sink HOST BYTES       sends BYTES to HOST's sink; {"bytes", "ms"} from the first byte to the sink's answer
//   rtt HOST N            the median of N echo round trips to HOST, ms
const net = require("node:net");
const dgram = require("node:dgram");

const TCP_PORT = 7100;
const UDP_PORT = 7200;
const [mode, ...args] = process.argv.slice(1);

function serve() {
  const counts = new Map();
  const udp = dgram.createSocket("udp4");
  udp.on("message", (message) => {
    const tag = message.toString().split(":")[0];
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
  });
  const tcp = net.createServer((socket) => {
    socket.on("error", () => {});
    let head = "";
    const onData = (chunk) => {
      head += chunk.toString("latin1");
      const newline = head.indexOf("\n");
      if (newline < 0) return;
      socket.off("data", onData);
      const [command, tag] = head.slice(0, newline).split(" ");
      const rest = Buffer.from(head.slice(newline + 1), "latin1");
      if (command === "count") socket.end(`${counts.get(tag) ?? 0}\n`);
      if (command === "sink") {
        let bytes = rest.length;
        socket.on("data", (more) => (bytes += more.length));
        socket.on("end", () => socket.end(`${bytes}\n`));
      }
      if (command === "echo") {
        if (rest.length > 0) socket.write(rest);
        socket.pipe(socket);
      }
    };
    socket.on("data", onData);
  });
  let listening = 0;
  const ready = () => ++listening === 2 && console.log("ready");
  udp.bind(UDP_PORT, ready);
  tcp.listen(TCP_PORT, ready);
}

function connect(target, ms) {
  const [host, port] = target.split(":");
  const socket = net.connect(Number(port ?? TCP_PORT), host);
  const timer = setTimeout(() => {
    console.log("timeout");
    socket.destroy();
  }, Number(ms));
  socket.on("connect", () => {
    clearTimeout(timer);
    console.log("connected");
    socket.destroy();
  });
  socket.on("error", (error) => {
    clearTimeout(timer);
    console.log(error.code ?? error.message);
  });
}

async function udp(host, tag, n) {
  const socket = dgram.createSocket("udp4");
  let refused = 0;
  for (let i = 0; i < Number(n); i++) {
    // Paced, so the receiver's socket buffer never overflows: every datagram lost is one a rule dropped.
    if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve, reject) =>
      socket.send(`${tag}:${i}`, UDP_PORT, host, (error) => {
        // A packet its own namespace's OUTPUT chain dropped: the kernel tells the sender so.
        if (error?.code === "EPERM") refused++;
        else if (error) return reject(error);
        resolve();
      }),
    );
  }
  socket.close();
  console.log(JSON.stringify({ sent: Number(n), refused }));
}

/** Sends `line`, then `body`, to the `serve` at host; resolves to its answer. */
function ask(host, line, body) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(TCP_PORT, host);
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("end", () => resolve(answer.trim()));
    socket.on("error", reject);
    socket.write(`${line}\n`);
    if (body) socket.write(body);
    socket.end();
  });
}

async function sink(host, bytes) {
  const started = Date.now();
  const received = await ask(host, "sink", Buffer.alloc(Number(bytes), 120));
  console.log(JSON.stringify({ bytes: Number(received), ms: Date.now() - started }));
}

async function rtt(host, n) {
  const socket = net.connect(TCP_PORT, host);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write("echo\n");
  const times = [];
  for (let i = 0; i < Number(n); i++) {
    const started = process.hrtime.bigint();
    await new Promise((resolve) => {
      socket.once("data", resolve);
      socket.write("x");
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  socket.destroy();
  times.sort((a, b) => a - b);
  console.log(times[Math.floor(times.length / 2)].toFixed(1));
}

const modes = {
  serve,
  connect,
  udp,
  count: async (tag) => console.log(await ask("127.0.0.1", `count ${tag}`)),
  sink,
  rtt,
};
Promise.resolve(modes[mode](...args)).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
