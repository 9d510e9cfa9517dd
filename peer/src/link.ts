import type { Socket } from "node:net";
import { FrameDecoder, PROTOCOL_VERSION, encodeFrame, type Frame, type HelloFrame, type MsgFrame } from "./wire.js";

export type LinkDirection = "in" | "out";

export interface LinkOptions {
  hello: HelloFrame;
  heartbeatMs: number;
  timeoutMs: number;
}

export interface LinkHandlers {
  up(link: Link): void;
  message(link: Link, frame: MsgFrame): void;
  badFrame(link: Link, reason: string): void;
  writeError(link: Link, reason: string): void;
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
  private state: "handshaking" | "up" | "closed" = "handshaking";
  private readonly decoder = new FrameDecoder();
  private lastHeard = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    readonly dir: LinkDirection,
    private readonly options: LinkOptions,
    private readonly handlers: LinkHandlers,
  ) {
    this.name = Link.addressOf(socket);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("end", () => this.close("eof"));
    socket.on("error", (error: NodeJS.ErrnoException) => this.close(describeSocketError(error)));
    socket.on("close", () => this.close("closed"));
    this.timer = setInterval(() => this.beat(), options.heartbeatMs);
    this.timer.unref();
    this.write(options.hello);
  }

  static addressOf(socket: Socket): string {
    const host = (socket.remoteAddress ?? "?").replace(/^::ffff:/, "");
    return `${host}:${socket.remotePort ?? "?"}`;
  }

  get address(): string {
    return Link.addressOf(this.socket);
  }

  get isUp(): boolean {
    return this.state === "up";
  }

  /** A handler may close the link while a chunk's frames are being handled. */
  private get isClosed(): boolean {
    return this.state === "closed";
  }

  send(frame: MsgFrame): void {
    if (this.state === "up") this.write(frame);
  }

  close(reason: string): void {
    if (this.state === "closed") return;
    const wasUp = this.state === "up";
    this.state = "closed";
    clearInterval(this.timer);
    this.socket.destroy();
    this.handlers.closed(this, reason, wasUp);
  }

  private write(frame: Frame): void {
    if (this.socket.destroyed) return;
    this.socket.write(encodeFrame(frame), (error) => {
      if (!error || this.state === "closed") return;
      const reason = describeSocketError(error);
      this.handlers.writeError(this, reason);
      this.close(`write-error: ${reason}`);
    });
  }

  private beat(): void {
    if (Date.now() - this.lastHeard > this.options.timeoutMs) {
      this.close("timeout");
      return;
    }
    this.write({ type: "ping" });
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
      this.state = "up";
      this.handlers.up(this);
      return;
    }
    switch (frame.type) {
      case "hello":
        return this.reject("second hello on an open link");
      case "ping":
        return this.write({ type: "pong" });
      case "pong":
        return;
      case "msg":
        return this.handlers.message(this, frame);
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
