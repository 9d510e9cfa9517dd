import type { Socket } from "node:net";
import { DelayQueue, holdMs, type Delay } from "./delay-queue.js";
import {
  BASE_FRAME_TYPES,
  FrameDecoder,
  HEAL,
  HEAL_FRAME_TYPES,
  PROTOCOL_VERSION,
  encodeFrame,
  type Frame,
  type HealFrame,
  type HelloFrame,
  type MsgFrame,
} from "./wire.js";

const PING = encodeFrame({ type: "ping" });
const PONG = encodeFrame({ type: "pong" });

export type LinkDirection = "in" | "out";

/**
 * Bytes a link may have queued for its neighbour beyond what the kernel took, frames it holds
 * back for a delay included. A neighbour that stops reading would otherwise grow the queue, and
 * the process, without bound; past this the link is dropped as a slow consumer. About 120 of the
 * largest messages.
 */
export const MAX_SEND_QUEUE_BYTES = 1024 * 1024;

export interface LinkOptions {
  hello: HelloFrame;
  heartbeatMs: number;
  /** Silence that ends an up link, and the time a new connection has to complete its hello. */
  timeoutMs: number;
  /** The hold on frames written from the start, the hello included. */
  delay: Delay;
}

export interface LinkHandlers {
  up(link: Link): void;
  message(link: Link, frame: MsgFrame): void;
  /** A heal frame: only a link whose own hello says `speaks: ["heal"]` takes one. */
  heal(link: Link, frame: HealFrame): void;
  badFrame(link: Link, reason: string): void;
  writeError(link: Link, reason: string): void;
  /** The neighbour stopped reading: `queued` bytes were waiting; the link closes next. */
  slowConsumer(link: Link, queued: number): void;
  /** Called once; `wasUp` tells whether the hello exchange had completed. */
  closed(link: Link, reason: string, wasUp: boolean): void;
}

/**
 * One TCP connection to a neighbour: hello exchange, NDJSON framing, heartbeat and the
 * reason it closed. A link never throws; every failure becomes a close with a reason.
 */
export class Link {
  /** The neighbour's name once its hello arrived; its address before that. */
  name: string;
  /** The remote `ip:port`, kept from the start: a destroyed socket may no longer say. */
  readonly address: string;
  /** How long each frame written from now on is held (`/delay`); frames already held keep theirs. */
  delay: Delay;
  private state: "handshaking" | "up" | "closed" = "handshaking";
  /** The neighbour's hello, once it came. */
  private peerHello: HelloFrame | undefined;
  private readonly decoder: FrameDecoder;
  private lastHeard = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly handshakeDeadline: NodeJS.Timeout;
  private readonly held = new DelayQueue((bytes) => this.transmit(bytes));
  private corked = false;

  constructor(
    private readonly socket: Socket,
    readonly dir: LinkDirection,
    private readonly options: LinkOptions,
    private readonly handlers: LinkHandlers,
  ) {
    this.address = Link.addressOf(socket);
    this.decoder = new FrameDecoder(options.hello.speaks?.includes(HEAL) ? HEAL_FRAME_TYPES : BASE_FRAME_TYPES);
    this.name = this.address;
    this.delay = options.delay;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("end", () => this.close("eof"));
    socket.on("error", (error: NodeJS.ErrnoException) => this.close(describeSocketError(error)));
    socket.on("close", () => this.close("closed"));
    this.timer = setInterval(() => this.beat(), options.heartbeatMs);
    this.timer.unref();
    // Any byte counts as liveness, so a hello trickled a byte at a time needs its own deadline.
    this.handshakeDeadline = setTimeout(() => this.close("handshake timeout"), options.timeoutMs);
    this.handshakeDeadline.unref();
    this.write(encodeFrame(options.hello));
  }

  static addressOf(socket: Socket): string {
    const host = (socket.remoteAddress ?? "?").replace(/^::ffff:/, "");
    return `${host}:${socket.remotePort ?? "?"}`;
  }

  get isUp(): boolean {
    return this.state === "up";
  }

  /** Both sides said `speaks: ["heal"]`: heal frames may be sent on this link. */
  get speaksHeal(): boolean {
    return this.options.hello.speaks?.includes(HEAL) === true && this.peerHello?.speaks?.includes(HEAL) === true;
  }

  /** The address the neighbour's hello advertised (`listen`); undefined before it came. */
  get advertised(): string | undefined {
    return this.peerHello?.listen;
  }

  /** A handler may close the link while a chunk's frames are being handled. */
  private get isClosed(): boolean {
    return this.state === "closed";
  }

  /** A frame, already encoded (`encodeFrame`, `encodeForward`): one encoding serves every link. */
  send(line: string): void {
    if (this.state === "up") this.write(line);
  }

  /** Stops or restarts reading from the neighbour: TCP then slows its sender down. */
  setReading(reading: boolean): void {
    if (reading) this.socket.resume();
    else this.socket.pause();
  }

  close(reason: string): void {
    if (this.state === "closed") return;
    const wasUp = this.state === "up";
    this.state = "closed";
    clearInterval(this.timer);
    clearTimeout(this.handshakeDeadline);
    this.held.clear();
    this.socket.destroy();
    this.handlers.closed(this, reason, wasUp);
  }

  private write(line: string): void {
    if (this.socket.destroyed) return;
    this.held.push(line, holdMs(this.delay));
    const queued = this.socket.writableLength + this.held.heldBytes;
    if (queued > MAX_SEND_QUEUE_BYTES) {
      this.handlers.slowConsumer(this, queued);
      this.close("slow-consumer");
    }
  }

  /**
   * A frame whose hold is over goes to the socket. The socket is corked until the end of the
   * current tick, so the frames of one burst (a chunk's forwards) leave in one system call.
   */
  private transmit(bytes: string): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(bytes, this.written);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  private readonly written = (error?: Error | null): void => {
    if (!error || this.state === "closed") return;
    const reason = describeSocketError(error);
    this.handlers.writeError(this, reason);
    this.close(`write-error: ${reason}`);
  };

  private beat(): void {
    if (this.state === "up" && Date.now() - this.lastHeard > this.options.timeoutMs) {
      this.close("timeout");
      return;
    }
    this.write(PING);
  }

  private receive(chunk: Buffer): void {
    if (this.isClosed) return;
    this.lastHeard = Date.now();
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      if (this.isClosed) return;
      this.handle(frame);
    }
    if (error !== undefined && !this.isClosed) this.reject(error);
  }

  private handle(frame: Frame): void {
    if (this.state === "handshaking") {
      if (frame.type !== "hello") return this.reject(`expected hello first, got ${frame.type}`);
      if (frame.version !== PROTOCOL_VERSION) {
        return this.reject(`protocol version ${frame.version}, this peer speaks ${PROTOCOL_VERSION}`);
      }
      this.name = frame.name;
      this.peerHello = frame;
      this.state = "up";
      clearTimeout(this.handshakeDeadline);
      this.handlers.up(this);
      return;
    }
    switch (frame.type) {
      case "hello":
        return this.reject("second hello on an open link");
      case "ping":
        return this.write(PONG);
      case "pong":
        return;
      case "msg":
        return this.handlers.message(this, frame);
      default:
        return this.handlers.heal(this, frame);
    }
  }

  private reject(reason: string): void {
    this.handlers.badFrame(this, reason);
    this.close(`bad-frame: ${reason}`);
  }
}

function describeSocketError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ECONNRESET":
      return "reset";
    case "EPIPE":
      return "broken pipe";
    case "ETIMEDOUT":
      return "timeout";
    default:
      return error.code ?? error.message;
  }
}
