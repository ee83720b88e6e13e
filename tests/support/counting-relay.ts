/**
 * A TCP relay on a free loopback port that forwards to host:port and counts
 * the bytes each way: put in front of a real proxy, it shows how much of a
 * client's traffic went through that proxy; paused, it cuts a client off.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface CountingRelay {
  port: number;
  /** Bytes from clients to the target, and back. */
  readonly sent: number;
  readonly received: number;
  /** Cuts every connection and refuses new ones (the target looks unreachable) until `resume`. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startCountingRelay(host: string, port: number): Promise<CountingRelay> {
  const sockets = new Set<Socket>();
  const counts = { sent: 0, received: 0 };
  let paused = false;
  const server = createServer((inbound) => {
    if (paused) {
      inbound.destroy();
      return;
    }
    const outbound = connect({ host, port });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on('data', (c: Buffer) => (counts.sent += c.length));
    outbound.on('data', (c: Buffer) => (counts.received += c.length));
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('relay did not bind');
  return {
    port: address.port,
    get sent() {
      return counts.sent;
    },
    get received() {
      return counts.received;
    },
    pause: () => {
      paused = true;
      for (const s of sockets) s.destroy();
    },
    resume: () => {
      paused = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
