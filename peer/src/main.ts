import { formatEvent, type PeerEvent, type PeerEventBody } from "./events.js";
import { USAGE, parsePeerArgs } from "./options.js";
import { Peer } from "./peer.js";
import { LineSplitter, MAX_LINE_BYTES } from "./stdin-lines.js";

const parsed = parsePeerArgs(process.argv.slice(2), process.stdout.isTTY === true);
if (typeof parsed === "string") {
  process.stderr.write(`peer: ${parsed}\n\n${USAGE}\n`);
  process.exit(2);
}
if ("help" in parsed) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const options = parsed;

// A closed stdout (the reader went away) must not kill the peer; its neighbours still need it.
process.stdout.on("error", () => {});

function emit(body: PeerEventBody): void {
  const event = { ts: new Date().toISOString(), peer: options.name, ...body } as PeerEvent;
  process.stdout.write(`${options.events === "json" ? JSON.stringify(event) : formatEvent(event)}\n`);
}

let exiting = false;
async function exit(reason: string, code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  await peer.shutdown(reason);
  emit({ ev: "exit", code, reason });
  process.exit(code);
}

function diagnose(message: string): void {
  process.stderr.write(`peer ${options.name}: ${message}\n`);
}

const peer = new Peer({
  ...options,
  emit,
  diagnose,
  quit: () => void exit("quit", 0),
});

process.on("SIGTERM", () => void exit("SIGTERM", 0));
process.on("SIGINT", () => void exit("SIGINT", 0));
process.on("uncaughtException", (error) => {
  process.stderr.write(`peer ${options.name}: internal error: ${error.stack ?? error}\n`);
  void exit(`internal error: ${error.message}`, 1);
});

try {
  await peer.listen();
} catch (error) {
  const reason = `cannot listen on port ${options.port}: ${(error as NodeJS.ErrnoException).code ?? error}`;
  process.stderr.write(`peer ${options.name}: ${reason}\n`);
  emit({ ev: "exit", code: 1, reason });
  process.exit(1);
}
for (const target of options.connect) peer.connect(target);

// End of stdin (a detached terminal, `docker run` without -i) leaves the peer forwarding.
const stdin = new LineSplitter(
  (line) => peer.input(line),
  () => diagnose(`line ignored: longer than ${MAX_LINE_BYTES} bytes`),
);
process.stdin.on("data", (chunk: Buffer) => stdin.push(chunk));
