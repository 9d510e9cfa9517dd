import { createConnection, createServer, type Server, type Socket } from "node:net";
import { hostname } from "node:os";
import { DELAY_USAGE, EVERY_NEIGHBOUR, parseDelayCommand, type DelayCommand } from "./delay-command.js";
import { NO_DELAY, type Delay } from "./delay-queue.js";
import type { PeerEventBody } from "./events.js";
import { Link, type LinkDirection, type LinkHandlers } from "./link.js";
import { MEMBERSHIP, Membership, gossipDelayMs } from "./membership.js";
import { messageTextProblem } from "./message-text.js";
import { IHAVE_FLUSH_MS, Plumtree, SYSTEM_CLOCK } from "./plumtree.js";
import { SeenCache } from "./seen.js";
import { SEND_USAGE, parseSendCommand } from "./send-command.js";
import {
  HEAL,
  PROTOCOL_VERSION,
  encodeForward,
  encodeFrame,
  type HealFrame,
  type HelloFrame,
  type Member,
  type MsgFrame,
} from "./wire.js";

export type PeerMode = "tree" | "dedup" | "heal";

export interface PeerOptions {
  name: string;
  port: number;
  mode: PeerMode;
  hopLimit: number;
  heartbeatMs: number;
  timeoutMs: number;
  /** How long to keep retrying a `--connect` target before giving up. */
  connectWindowMs: number;
  seenMaxEntries: number;
  seenMaxAgeMs: number;
  /** heal: how long to wait for a payload after hearing of its id before grafting. */
  graftTimeoutMs: number;
  /** heal: the links to keep. */
  minNeighbours: number;
  /** The address sent in hello for others to dial; absent: this host's name and the bound port. */
  advertise?: string;
  emit(event: PeerEventBody): void;
  diagnose(message: string): void;
  /** `/quit` was typed. */
  quit(): void;
}

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

/** Dial errors that say nobody is there (the name no longer resolves, nothing listens): a peer that is gone. */
const REFUSALS = new Set(["ECONNREFUSED", "ENOTFOUND"]);

/** How a connection came about: a --connect target to retry, or a heal peer's own repair dial. */
interface Origin {
  retry?: (reason: string) => void;
  /** The member a repair dial was for. */
  repairOf?: string;
}

/**
 * A chat peer: its neighbours and the forwarding policy of its mode.
 * tree: forward to every other neighbour, no duplicate suppression (the assignment).
 * dedup: show and forward each message id once.
 * heal: show each message id once, keep at least --min-neighbours links by dialling the peers
 * it learns of (membership.ts decides whom and when), and pass payloads along a spanning tree
 * among heal neighbours (Plumtree, plumtree.ts), ids on the other links; other neighbours are
 * flooded (peer/PROTOCOL.md §10).
 * All drop a message at the hop limit, so a cycle's storm is finite and visible.
 */
export class Peer {
  private readonly links = new Set<Link>();
  /** The links whose link-up was printed: a duplicate closed on arrival never is (closeDuplicate). */
  private readonly announced = new WeakSet<Link>();
  private readonly seen: SeenCache;
  /** heal mode's broadcast tree. */
  private readonly plumtree?: Plumtree<Link>;
  private readonly server: Server;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** `/delay` settings by neighbour name, EVERY_NEIGHBOUR for the rest. */
  private readonly delays = new Map<string, Delay>();
  private seq = 0;
  /**
   * Ids are <name>:<incarnation>:<seq>. The incarnation (this process's start, in ms, base 36)
   * keeps a restarted peer's ids apart from its previous life's, which dedup caches and
   * transcripts still hold.
   */
  private readonly incarnation = Date.now().toString(36).slice(-6);
  private stopping = false;
  private reading = true;
  /** What this peer's hello says; `listen` is known once the port is bound. */
  private hello: HelloFrame;
  /** heal mode only. */
  private membership: Membership | undefined;
  private repairTimer: NodeJS.Timeout | undefined;
  private gossipTimer: NodeJS.Timeout | undefined;
  private gossipAt = Infinity;

  constructor(private readonly options: PeerOptions) {
    const bounds = { maxEntries: options.seenMaxEntries, maxAgeMs: options.seenMaxAgeMs };
    this.seen = new SeenCache(bounds);
    if (options.mode === "heal") {
      this.plumtree = new Plumtree<Link>({
        graftTimeoutMs: options.graftTimeoutMs,
        ihaveFlushMs: IHAVE_FLUSH_MS,
        cache: bounds,
        delivered: (id) => this.seen.has(id),
        send: (link, line) => link.send(line),
        clock: SYSTEM_CLOCK,
      });
    }
    this.server = createServer((socket) => this.adopt(socket, "in"));
    const speaks = options.mode === "heal" ? { speaks: [HEAL] } : {};
    this.hello = {
      type: "hello",
      name: options.name,
      listen: options.advertise ?? "",
      version: PROTOCOL_VERSION,
      ...speaks,
    };
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, () => {
        this.server.off("error", reject);
        const address = this.server.address();
        const port = typeof address === "object" && address ? address.port : this.options.port;
        this.hello.listen = this.options.advertise ?? `${hostname()}:${port}`;
        if (this.options.mode === "heal") this.startMembership();
        this.options.emit({ ev: "listening", port });
        resolve(port);
      });
    });
  }

  /** Connects to host:port, retrying with backoff until the connect window closes. */
  connect(target: string): void {
    const parsed = parseTarget(target);
    if (!parsed) {
      this.options.diagnose(`cannot connect to "${target}": expected host:port, e.g. bob:7000`);
      return;
    }
    const deadline = Date.now() + this.options.connectWindowMs;
    let attempts = 0;
    const attempt = (delay: number): void => {
      attempts += 1;
      const socket = createConnection(parsed);
      const failed = (reason: string): void => {
        if (this.stopping) return;
        if (Date.now() + delay > deadline) {
          this.options.emit({ ev: "connect-failed", target, reason, attempts });
          return;
        }
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          attempt(Math.min(delay * 2, RETRY_MAX_MS));
        }, delay);
        this.retryTimers.add(timer);
      };
      socket.once("error", (error: NodeJS.ErrnoException) => failed(error.code ?? error.message));
      socket.once("connect", () => {
        socket.removeAllListeners("error");
        this.adopt(socket, "out", { retry: failed });
      });
    };
    attempt(RETRY_FIRST_MS);
  }

  /**
   * A heal peer's own dial, one try: membership.ts decides when to try again. A dial the network
   * swallows (a partition drops the SYN) is given up after --timeout, as a silent link would be.
   */
  private repair({ name, listen }: Member): void {
    const parsed = parseTarget(listen);
    if (!parsed) return this.dialed(name, "refused");
    const socket = createConnection(parsed);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      socket.destroy();
      this.dialed(name, "failed");
    }, this.options.timeoutMs);
    this.retryTimers.add(timer);
    const settle = (): void => {
      clearTimeout(timer);
      this.retryTimers.delete(timer);
    };
    socket.once("error", (error: NodeJS.ErrnoException) => {
      settle();
      this.dialed(name, REFUSALS.has(error.code ?? "") ? "refused" : "failed");
    });
    socket.once("connect", () => {
      settle();
      socket.removeAllListeners("error");
      this.adopt(socket, "out", { repairOf: name });
    });
  }

  private dialed(name: string, outcome: "linked" | "refused" | "failed"): void {
    if (this.stopping || !this.membership) return;
    this.membership.dialed(name, outcome);
    this.scheduleRepair();
  }

  /** One line typed on stdin (its `\n` and a trailing `\r` removed): a chat message, or a command when it starts with `/`. */
  input(line: string): void {
    if (line.trim() === "") return;
    if (!line.startsWith("/")) return this.chat(line);
    const send = parseSendCommand(line);
    if (send) return this.chat(send.text, send.ref);
    const [command, ...args] = line.trim().split(/\s+/);
    switch (command) {
      case "/send":
        return this.options.diagnose(SEND_USAGE);
      case "/peers":
        return this.options.emit({ ev: "peers", neighbors: this.neighbors() });
      case "/connect":
        if (args.length !== 1) return this.options.diagnose("usage: /connect host:port");
        return this.connect(args[0]!);
      case "/delay": {
        const setting = parseDelayCommand(line);
        if ("problem" in setting)
          return this.options.diagnose(`/delay not applied: ${setting.problem}; ${DELAY_USAGE}`);
        return this.delay(setting);
      }
      case "/quit":
        return this.options.quit();
      default:
        return this.options.diagnose(
          `unknown command ${command}; commands: /peers, /connect host:port, /send REF TEXT, /delay NEIGHBOUR|* DURATION [JITTER], /quit`,
        );
    }
  }

  /** Sends a chat message; `ref` (from `/send`) is echoed in the `sent` event. */
  chat(text: string, ref?: string): void {
    // Neighbours close a link that carries a message breaking the rule: refuse it here instead.
    const problem = messageTextProblem(text);
    if (problem) {
      this.options.diagnose(`message not sent: ${problem}`);
      return;
    }
    this.seq += 1;
    const id = `${this.options.name}:${this.incarnation}:${this.seq}`;
    this.seen.add(id);
    const targets = [...this.links].filter((link) => link.isUp);
    this.options.emit({
      ev: "sent",
      id,
      origin: this.options.name,
      text,
      to: targets.map((link) => link.name),
      ...(ref === undefined ? {} : { ref }),
    });
    this.forward(id, encodeFrame({ type: "msg", id, origin: this.options.name, text, hops: 1 }), targets);
  }

  /**
   * Holds the frames written to a neighbour from now on. The last setting wins: `*` replaces
   * every earlier one, a named one overrides `*` for that neighbour, linked or not yet.
   */
  delay({ neighbor, delay }: DelayCommand): void {
    if (neighbor === EVERY_NEIGHBOUR) this.delays.clear();
    this.delays.set(neighbor, delay);
    for (const link of this.links) {
      if (neighbor === EVERY_NEIGHBOUR || (link.isUp && link.name === neighbor)) {
        link.delay = this.delayFor(link.isUp ? link.name : undefined);
      }
    }
    this.options.emit({ ev: "delay", neighbor, ms: delay.ms, jitterMs: delay.jitterMs });
  }

  /**
   * Stops reading from every neighbour (new ones too) until called again with true: the events
   * a message prints must not pile up faster than stdout drains, or memory grows without bound.
   */
  setReading(reading: boolean): void {
    this.reading = reading;
    for (const link of this.links) link.setReading(reading);
  }

  neighbors(): string[] {
    return [...this.links].filter((link) => link.isUp).map((link) => link.name);
  }

  /** Closes every link and the listener; resolves when the listener has closed. */
  shutdown(reason: string): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.stopping = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.plumtree?.close();
    clearTimeout(this.repairTimer);
    clearTimeout(this.gossipTimer);
    for (const link of this.links) link.close(`shutdown (${reason})`);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private adopt(socket: Socket, dir: LinkDirection, origin: Origin = {}): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const link = new Link(
      socket,
      dir,
      {
        hello: this.hello,
        heartbeatMs: this.options.heartbeatMs,
        timeoutMs: this.options.timeoutMs,
        delay: this.delayFor(),
      },
      this.handlers(origin),
    );
    this.links.add(link);
    if (!this.reading) link.setReading(false);
  }

  private handlers({ retry, repairOf }: Origin): LinkHandlers {
    const emit = this.options.emit;
    return {
      up: (link) => {
        link.delay = this.delayFor(link.name);
        if (this.membership && this.closeDuplicate(link, repairOf)) return;
        this.announced.add(link);
        this.plumtree?.linkUp(link, link.speaksHeal);
        const repair = repairOf === undefined ? {} : { repair: true as const };
        emit({ ev: "link-up", neighbor: link.name, addr: link.address, dir: link.dir, ...repair });
        if (this.membership) this.joined(link, repairOf);
      },
      message: (link, frame) => this.receive(link, frame),
      heal: (link, frame) => this.heal(link, frame),
      badFrame: (link, reason) => emit({ ev: "bad-frame", neighbor: link.name, reason }),
      writeError: (link, reason) => emit({ ev: "write-error", neighbor: link.name, reason }),
      slowConsumer: (link, queued) => emit({ ev: "slow-consumer", neighbor: link.name, queued }),
      closed: (link, reason, wasUp) => {
        this.links.delete(link);
        if (wasUp && this.announced.has(link)) {
          this.plumtree?.linkDown(link);
          emit({ ev: "link-down", neighbor: link.name, reason });
          if (this.membership && !this.stopping) {
            this.membership.linkDown(link.name);
            this.scheduleRepair();
          }
          return;
        }
        emit({ ev: "handshake-failed", addr: link.address, dir: link.dir, reason });
        if (wasUp) return; // a duplicate: the peer is linked by the other connection
        if (retry && !reason.startsWith("bad-frame")) retry(`closed before hello: ${reason}`);
        if (repairOf !== undefined) this.dialed(repairOf, "failed");
      },
    };
  }

  private receive(from: Link, frame: MsgFrame): void {
    const { emit, hopLimit, mode } = this.options;
    const seen = { id: frame.id, origin: frame.origin, from: from.name, hops: frame.hops };
    if (mode !== "tree" && !this.seen.add(frame.id)) {
      emit({ ev: "dup", ...seen });
      this.plumtree?.duplicate(from);
      return;
    }
    emit({ ev: "recv", ...seen, text: frame.text });
    this.plumtree?.received(frame.id);
    const onward = [...this.links].filter((link) => link !== from && link.isUp);
    if (onward.length === 0) return;
    if (frame.hops >= hopLimit) {
      emit({ ev: "hop-limit", ...seen });
      return;
    }
    this.forward(frame.id, encodeForward(frame), onward, from);
  }

  /** Sends a message line on: in heal mode as the tree decides, else to every onward link. */
  private forward(id: string, line: string, onward: Link[], from?: Link): void {
    if (this.plumtree) this.plumtree.forward(from, id, line);
    else for (const link of onward) link.send(line);
  }

  /** heal: a link came up. It joins the active view, learns who we know, and a second link to one peer is closed. */
  private joined(link: Link, repairOf: string | undefined): void {
    const membership = this.membership!;
    if (repairOf !== undefined) membership.dialed(repairOf, "linked");
    membership.linkUp(link.name, link.speaksHeal ? link.advertised : undefined);
    if (link.speaksHeal) {
      link.send(encodeFrame({ type: "members", peers: membership.sample() }));
      this.gossipSoon();
    }
    this.scheduleRepair();
  }

  /**
   * Two heal peers that dial each other at once end up with two connections. Both keep the one
   * dialled by the peer whose name sorts first (the older one if that leaves a tie) and close the
   * other, so each side closes the same one. Decided before link-up is printed, so the last event
   * for a neighbour always says how it is: a new connection closed here prints no link-up (only
   * `handshake-failed`, reason `duplicate`); an older one closed prints its link-down first.
   * True when `link` itself was closed.
   */
  private closeDuplicate(link: Link, repairOf: string | undefined): boolean {
    const other = [...this.links].find((l) => l !== link && this.announced.has(l) && l.name === link.name);
    if (!other || !link.speaksHeal || !other.speaksHeal) return false;
    const dialler = (l: Link): string => (l.dir === "out" ? this.options.name : l.name);
    const first = this.options.name < link.name ? this.options.name : link.name;
    const drop = dialler(link) === first && dialler(other) !== first ? other : link;
    if (drop === link && repairOf !== undefined) this.dialed(repairOf, "linked");
    drop.close("duplicate");
    return drop === link;
  }

  /** heal: a heal frame from a neighbour (whether or not its hello listed heal: only heal peers send them). */
  private heal(from: Link, frame: HealFrame): void {
    if (!this.membership) return;
    switch (frame.type) {
      case "members":
        this.membership.learn(frame.peers.map(({ name, listen }) => ({ name, listen })));
        return this.scheduleRepair();
      case "ihave":
      case "graft":
      case "prune":
        return this.plumtree?.control(from, frame);
    }
  }

  private startMembership(): void {
    this.membership = new Membership({
      self: { name: this.options.name, listen: this.hello.listen },
      minNeighbours: this.options.minNeighbours,
      now: Date.now,
      random: Math.random,
    });
    this.scheduleGossip(Date.now() + gossipDelayMs(this.options.heartbeatMs));
  }

  /** The one repair timer, set for the next moment membership has a dial due. */
  private scheduleRepair(): void {
    if (this.stopping || !this.membership) return;
    clearTimeout(this.repairTimer);
    const at = this.membership.nextDueAt();
    if (at === undefined) return;
    this.repairTimer = setTimeout(
      () => {
        for (const member of this.membership!.due()) this.repair(member);
        this.scheduleRepair();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Gossip goes out every few heartbeats to each heal neighbour: a random sample of the live peers. */
  private scheduleGossip(at: number): void {
    clearTimeout(this.gossipTimer);
    this.gossipAt = at;
    this.gossipTimer = setTimeout(
      () => {
        const line = encodeFrame({ type: "members", peers: this.membership!.sample() });
        for (const link of this.links) if (link.isUp && link.speaksHeal) link.send(line);
        this.scheduleGossip(Date.now() + gossipDelayMs(this.options.heartbeatMs));
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** A new link changed the active view: tell the neighbours soon (one round for a burst of link-ups). */
  private gossipSoon(): void {
    const at = Date.now() + MEMBERSHIP.gossipSoonMs * (0.5 + Math.random() / 2);
    if (at < this.gossipAt) this.scheduleGossip(at);
  }

  /** The delay of a neighbour; of a link before its hello (`name` unknown), `*` alone. */
  private delayFor(name?: string): Delay {
    return (name === undefined ? undefined : this.delays.get(name)) ?? this.delays.get(EVERY_NEIGHBOUR) ?? NO_DELAY;
  }
}

function parseTarget(target: string): { host: string; port: number } | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(target);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}
