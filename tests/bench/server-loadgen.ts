/**
 * Load-generator child process for the server benchmark: opens and holds
 * idle secure connections (Noise handshake done, nothing else), so the
 * connection count is not bound by one process's 20,000 file descriptors.
 * Controlled over IPC by tests/bench/server.ts.
 */
import { connectSecure, type SecureConnection } from '../../shared/node/transport';
import { decodeKey } from '../../shared/node/noise/keys';
import { PROTOCOL_VERSION } from '../../shared/protocol';

interface ConnectOrder {
  type: 'connect';
  host: string;
  port: number;
  key: string;
  count: number;
  concurrency: number;
}

const held: SecureConnection[] = [];

async function connectMany(order: ConnectOrder): Promise<{ ok: number; failed: number; ms: number; firstError?: string }> {
  const started = Date.now();
  const serverPublicKey = decodeKey(order.key);
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < order.count) {
      next++;
      try {
        const { connection } = await connectSecure({ host: order.host, port: order.port, serverPublicKey, hello: { protocolVersion: PROTOCOL_VERSION, clientName: 'bench-idle' }, timeoutMs: 60_000 });
        connection.on('close', () => undefined);
        held.push(connection);
        ok++;
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: order.concurrency }, lane));
  return { ok, failed, ms: Date.now() - started, firstError };
}

process.on('message', (msg: ConnectOrder | { type: 'exit' }) => {
  if (msg.type === 'connect') {
    void connectMany(msg).then((result) => process.send!({ type: 'connected', ...result }));
  } else {
    for (const c of held) c.destroy();
    process.exit(0);
  }
});
process.send!({ type: 'ready' });
