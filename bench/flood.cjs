// A fake neighbour that floods a peer: run inside the peer's container as `node -e <this file> N`,
// it says hello to the peer on 127.0.0.1:7000, writes N distinct messages as fast as the socket
// takes them, closes, and prints {"messages", "ms"}.
const net = require("node:net");

const count = Number(process.argv[1]);
const socket = net.connect(7000, "127.0.0.1");
socket.on("error", (error) => {
  console.error(`flood: ${error.message}`);
  process.exit(1);
});
socket.on("data", () => {});
socket.on("connect", () => {
  const started = Date.now();
  socket.write('{"type":"hello","name":"flood","listen":"flood:0","version":1}\n');
  let i = 0;
  const write = () => {
    while (i < count) {
      const frame = `{"type":"msg","id":"flood:${started.toString(36)}:${i}","origin":"flood","text":"load ${i}","hops":1}\n`;
      i += 1;
      if (!socket.write(frame)) return socket.once("drain", write);
    }
    socket.end(() => console.log(JSON.stringify({ messages: count, ms: Date.now() - started })));
  };
  write();
});
