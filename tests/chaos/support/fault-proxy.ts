/**
 * A fault-injecting TCP proxy for the chaos suite: listens on a free loopback
 * port and forwards each connection to the target, with faults that can be
 * changed while traffic flows.
 *
 *   const proxy = await startFaultProxy({ host: '127.0.0.1', port }, { seed });
 *   proxy.shape({ latencyMs: 80, jitterMs: 40, bytesPerSec: 20_000 });
 *   proxy.resetMidFrame();          // the next chunk is cut in half, then RST both ends
 *   proxy.halfOpen();               // live connections stop forwarding, sockets stay open
 *   await proxy.blackhole(3000);    // nothing passes for 3 s (held, like TCP retransmits), then all flows again
 *
 * Why our own: the faults the issue lists are per connection and must be
 * switched in the middle of a test (a reset in the middle of a frame, a
 * half-open connection that only the heartbeat can find); a dozen lines of
 * net.Socket do that exactly, with no daemon to install.
 *
 * Order is kept per direction: a chunk is delivered no earlier than the one
 * before it, so latency with jitter delays but never reorders bytes (TCP never
 * reorders either; reordering and loss belong to the netns scenarios).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Rng } from '../../shared/support/fuzz';

export interface Target {
  host: string;
  port: number;
}

export interface Shape {
  /** Added one-way delay per chunk. */
  latencyMs: number;
  /** Up to this much more, uniformly, per chunk (seeded). */
  jitterMs: number;
  /** Per direction and connection; 0 = unlimited. */
  bytesPerSec: number;
}

const noShape: Shape = { latencyMs: 0, jitterMs: 0, bytesPerSec: 0 };

/**
 * With a bandwidth limit, at most this much waits in the proxy before it stops
 * reading from the sender: the sender then sees the limit as TCP backpressure
 * (its own progress slows), not as an endless buffer that accepts everything at once.
 */
const QUEUE_HIGH = 64 * 1024;

/** One direction of one proxied connection. */
class Pipe {
  /** When the last scheduled chunk is delivered (keeps order, models the bandwidth queue). */
  private busyUntil = 0;
  /** Bytes scheduled but not yet delivered: past QUEUE_HIGH the sender is paused, as a slow link pushes back. */
  private queued = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Chunks held while blackholed (delivered on recovery). */
  private held: Buffer[] = [];
  /** The sender ended cleanly: end the receiver once every queued chunk is delivered. */
  private ending = false;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly connection: ProxiedConnection,
  ) {}

  push(chunk: Buffer): void {
    if (this.connection.frozen) return; // half-open: bytes vanish, sockets stay
    if (this.proxy.holding) {
      this.held.push(chunk);
      return;
    }
    if (this.proxy.resetArmed) {
      this.proxy.resetArmed = false;
      // Cut inside the chunk (a frame is at least a 16-byte header plus its record), then RST both ends.
      const cut = Math.max(1, Math.floor(chunk.length / 2));
      this.to.write(chunk.subarray(0, cut), () => this.connection.reset());
      this.proxy.resets++;
      return;
    }
    this.schedule(chunk);
  }

  private schedule(chunk: Buffer): void {
    const s = this.proxy.currentShape;
    const now = Date.now();
    const delay = s.latencyMs + (s.jitterMs > 0 ? this.proxy.random() * s.jitterMs : 0);
    const transmit = s.bytesPerSec > 0 ? (chunk.length * 1000) / s.bytesPerSec : 0;
    const at = Math.max(now + delay, this.busyUntil + transmit);
    this.busyUntil = at;
    if (at <= now && this.timers.size === 0) {
      this.write(chunk);
      return;
    }
    this.queued += chunk.length;
    if (s.bytesPerSec > 0 && this.queued > QUEUE_HIGH) this.from.pause();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.queued -= chunk.length;
      if (this.queued <= QUEUE_HIGH / 2 && this.from.isPaused()) this.from.resume();
      this.write(chunk);
      if (this.ending && this.timers.size === 0) this.to.end();
    }, at - now);
    this.timers.add(timer);
  }

  private write(chunk: Buffer): void {
    if (this.connection.frozen || this.to.destroyed) return;
    this.proxy.bytes += chunk.length;
    // A receiver that does not keep up pushes back on the sender, as over a real link (instead of the proxy
    // buffering everything the sender has).
    if (!this.to.write(chunk) && !this.from.isPaused()) {
      this.from.pause();
      this.to.once('drain', () => this.from.resume());
    }
  }

  /** True while chunks wait for their time (latency, bandwidth). */
  get delivering(): boolean {
    return this.timers.size > 0;
  }

  /**
   * The sender ended its side: the receiver's side ends after what is still
   * queued (a response the shaped link has not finished delivering is not cut
   * short: that truncated every shaped download whose server closed first).
   */
  endWhenDelivered(): void {
    if (this.timers.size === 0) this.to.end();
    else this.ending = true;
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.push(chunk);
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held = [];
  }
}

class ProxiedConnection {
  frozen = false;
  private readonly pipes: Pipe[] = [];
  private upstreamConnected = false;

  constructor(
    private readonly proxy: FaultProxy,
    readonly client: Socket,
    readonly upstream: Socket,
  ) {
    const up = new Pipe(proxy, client, upstream, this);
    const down = new Pipe(proxy, upstream, client, this);
    this.pipes.push(up, down);
    client.on('data', (c: Buffer) => up.push(c));
    upstream.on('data', (c: Buffer) => down.push(c));
    upstream.once('connect', () => (this.upstreamConnected = true));
    // An error on one side ends the other at once; a clean end ends it after what is queued toward it
    // (unless frozen: half-open keeps both).
    const fail = (other: Socket) => () => {
      if (this.frozen) return;
      other.destroy();
      this.dispose();
    };
    const end = (pipe: Pipe, other: Socket) => () => {
      if (this.frozen) return;
      if (!this.upstreamConnected) fail(other)();
      else pipe.endWhenDelivered();
    };
    client.on('end', end(up, upstream));
    upstream.on('end', end(down, client));
    client.on('error', fail(upstream));
    upstream.on('error', fail(client));
    client.on('close', () => {
      this.dispose();
      this.proxy.forget(this);
    });
    this.down = down;
  }

  /** The server → client direction (its queue decides when a closed upstream may close the client). */
  down: Pipe;

  /** RST both ends. */
  reset(): void {
    this.dispose();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
  }

  release(): void {
    for (const p of this.pipes) p.release();
  }

  dispose(): void {
    for (const p of this.pipes) p.dispose();
  }

  destroy(): void {
    this.dispose();
    this.client.destroy();
    this.upstream.destroy();
  }
}

export class FaultProxy {
  currentShape: Shape = noShape;
  holding = false;
  resetArmed = false;
  /** Counters for reports. */
  accepted = 0;
  resets = 0;
  bytes = 0;
  private readonly rng: Rng;
  private readonly live = new Set<ProxiedConnection>();
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: Server,
    private target: Target,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    server.on('connection', (client) => this.accept(client));
  }

  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('proxy not listening');
    return a.port;
  }

  get connections(): number {
    return this.live.size;
  }

  random(): number {
    return this.rng.next();
  }

  /** Latency, jitter and bandwidth from now on (chunks already scheduled keep their times). */
  shape(shape: Partial<Shape>): void {
    this.currentShape = { ...noShape, ...shape };
  }

  /** The next chunk in either direction is cut in the middle, then both sockets get an RST. */
  resetMidFrame(): void {
    this.resetArmed = true;
  }

  /** Every live connection stops forwarding for good; its sockets stay open (only a heartbeat can tell). New connections work. */
  halfOpen(): number {
    for (const c of this.live) c.frozen = true;
    return this.live.size;
  }

  /** Nothing passes for `ms` (new connections included); then everything held is delivered in order. */
  blackhole(ms: number): Promise<void> {
    this.holding = true;
    return new Promise((resolve) => {
      this.holdTimer = setTimeout(() => {
        this.holdTimer = undefined;
        this.recover();
        resolve();
      }, ms);
    });
  }

  /** Ends a blackhole now. */
  recover(): void {
    this.holding = false;
    for (const c of this.live) c.release();
  }

  /** Closes every live connection abruptly (RST), e.g. a NAT box forgetting its table. */
  resetAll(): void {
    for (const c of this.live) c.reset();
  }

  /** Forward new connections elsewhere (a restarted server on another port). */
  retarget(target: Target): void {
    this.target = target;
  }

  forget(c: ProxiedConnection): void {
    this.live.delete(c);
  }

  private accept(client: Socket): void {
    this.accepted++;
    client.setNoDelay(true);
    const upstream = connect({ host: this.target.host, port: this.target.port });
    upstream.setNoDelay(true);
    const c = new ProxiedConnection(this, client, upstream);
    this.live.add(c);
    // A clean close waits for the client's queue (endWhenDelivered ends it); an error closes it at once.
    // Bytes still in the client socket's buffer count as queued too: a slow reader (a loaded client) can have megabytes
    // there when the server finishes, and destroying the socket then cut a complete download short ('aborted').
    upstream.on('close', (hadError) => {
      if (!c.frozen && (hadError || (!c.down.delivering && client.writableLength === 0))) client.destroy();
    });
  }

  async stop(): Promise<void> {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    for (const c of this.live) c.destroy();
    this.live.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function startFaultProxy(target: Target, options: { seed?: number } = {}): Promise<FaultProxy> {
  const server = createServer({ noDelay: true });
  const proxy = new FaultProxy(server, target, options.seed ?? 1);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return proxy;
}
