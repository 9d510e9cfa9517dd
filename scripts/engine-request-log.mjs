#!/usr/bin/env node
// Logs every HTTP request made to the Docker engine through it: a Unix-socket proxy in front of
// the engine's socket, for measuring what a lab command costs the engine (issue 11).
//
//   node scripts/engine-request-log.mjs /tmp/engine.sock /tmp/requests.log &
//   DOCKER_HOST=unix:///tmp/engine.sock lab status --lab chain
//   wc -l /tmp/requests.log
//
// Each request is one line of the log: the time in ms, the method and the path without its query.
// The bytes are passed on untouched (streams, hijacked attachments and keep-alive included); a
// request is counted where its request line starts a chunk from the client or follows the blank
// line ending the previous request's head without a body, which is how lab's client (docker-modem)
// writes them.
import { appendFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";

const [listen, log, engine = process.env.P2PLAB_ENGINE_SOCKET ?? "/var/run/docker.sock"] = process.argv.slice(2);
if (!listen || !log) {
  console.error("usage: engine-request-log.mjs LISTEN_SOCKET LOG_FILE [ENGINE_SOCKET]");
  process.exit(2);
}
const REQUEST_LINE = /(?:^|\r\n\r\n)(GET|POST|PUT|DELETE|HEAD) (\/[^ ?]*)[^ ]* HTTP\/1\.[01]\r\n/g;

rmSync(listen, { force: true });
const server = createServer((client) => {
  const upstream = connect(engine);
  client.on("data", (chunk) => {
    const text = chunk.toString("latin1");
    for (const match of text.matchAll(REQUEST_LINE)) appendFileSync(log, `${Date.now()} ${match[1]} ${match[2]}\n`);
    upstream.write(chunk);
  });
  upstream.pipe(client);
  client.on("end", () => upstream.end());
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
});
server.listen(listen, () => console.error(`logging engine requests on ${listen} to ${log}`));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
