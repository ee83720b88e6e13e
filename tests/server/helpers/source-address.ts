/**
 * A TCP relay whose connections to the target come from another loopback
 * address (127.0.0.2, ...): a test can then be "a stranger at another
 * address" without a second machine. All of 127.0.0.0/8 is local on Linux.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface SourceRelay {
  /** Where clients connect (127.0.0.1). */
  port: number;
  close(): Promise<void>;
}

export async function relayFrom(localAddress: string, target: { host: string; port: number }): Promise<SourceRelay> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect({ host: target.host, port: target.port, localAddress });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
