// A fake neighbour that writes a steady rate into a peer: run inside the peer's container as
// `node -e <this file> RATE SECONDS TAG`, it says hello to the peer on 127.0.0.1:7000, writes RATE
// messages a second for SECONDS seconds (text "TAG i", so a bench finds them again in a feed),
// closes, and prints {"messages", "ms"}. flood.cjs writes as fast as the socket takes; this one
// paces, so a reader can be measured at a rate it is offered. Required instead (the bench's unit
// test), it runs nothing and exports its pacing.
const net = require("node:net");

/** How often it looks at the clock: the messages due since the last look go out together. */
const TICK_MS = 5;

/** How many of `total` messages are due `elapsedMs` after the first, at `rate` a second: the first at once. */
function messagesDue(elapsedMs, rate, total) {
  return Math.min(total, Math.floor((elapsedMs * rate) / 1000) + 1);
}

function main([rate, seconds, tag]) {
  const total = Math.round(Number(rate) * Number(seconds));
  const socket = net.connect(7000, "127.0.0.1");
  socket.on("error", (error) => {
    console.error(`paced-flood: ${error.message}`);
    process.exit(1);
  });
  socket.on("data", () => {});
  socket.on("connect", () => {
    socket.write('{"type":"hello","name":"flood","listen":"flood:0","version":1}\n');
    const started = Date.now();
    let sent = 0;
    const timer = setInterval(() => {
      for (const due = messagesDue(Date.now() - started, Number(rate), total); sent < due; sent++) {
        socket.write(`{"type":"msg","id":"flood:${tag}:${sent}","origin":"flood","text":"${tag} ${sent}","hops":1}\n`);
      }
      if (sent < total) return;
      clearInterval(timer);
      socket.end(() => console.log(JSON.stringify({ messages: total, ms: Date.now() - started })));
    }, TICK_MS);
  });
}

// `node -e` runs it as the module "[eval]", its arguments from argv[1].
if (module.id === "[eval]") main(process.argv.slice(1));
else module.exports = { messagesDue };
