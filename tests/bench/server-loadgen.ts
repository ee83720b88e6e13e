/**
 * Load-generator child process for the server and cluster benchmarks: opens
 * and holds idle secure connections (Noise handshake done), optionally each
 * logged in as its own user, so the connection count is not bound by one
 * process's 20,000 file descriptors. Each order may name a source address
 * (127.0.0.0/8 has millions), so many generators can reach one gateway
 * without running out of ephemeral ports. Controlled over IPC by
 * tests/bench/server.ts and tests/bench/cluster.ts. Node's native crypto:
 * the app's portable X25519 would make the generator the bottleneck.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { connectSecure, type SecureConnection } from '../../shared/node/transport';
import { decodeKey, nativeCrypto } from '../../shared/node/noise';
import { Command, ErrorDetailSchema, PROTOCOL_VERSION, RegisterRequestSchema, ResultCode, type Frame } from '../../shared/protocol';

export interface ConnectOrder {
  type: 'connect';
  host: string;
  port: number;
  key: string;
  count: number;
  concurrency: number;
  /** Connect from this address (default: the system's choice). */
  localAddress?: string;
  /** Register (and so log in) user `${prefix}${from + i}` on connection i; the server's scrypt should be cheap. */
  register?: { prefix: string; from: number };
}

export interface ConnectResult {
  type: 'connected';
  ok: number;
  failed: number;
  ms: number;
  firstError?: string;
}

const held: SecureConnection[] = [];

/** REGISTER on a fresh connection; resolves when the server answered OK. */
function register(connection: SecureConnection, username: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onFrame = (frame: Frame) => {
      if (frame.serial !== 1 || frame.command !== Command.REGISTER) return;
      connection.off('frame', onFrame);
      if (frame.code === ResultCode.OK) resolve();
      else reject(new Error(`REGISTER ${ResultCode[frame.code] ?? frame.code}: ${fromBinary(ErrorDetailSchema, frame.payload).message}`));
    };
    connection.on('frame', onFrame);
    connection.on('close', () => reject(new Error('closed during REGISTER')));
    const payload = toBinary(RegisterRequestSchema, create(RegisterRequestSchema, { username, password: 'bench-password', nickname: username, device: { deviceId: username, deviceName: 'bench' } }));
    connection.send({ serial: 1, command: Command.REGISTER, code: 0, payload });
  });
}

async function connectMany(order: ConnectOrder): Promise<ConnectResult> {
  const started = Date.now();
  const serverPublicKey = decodeKey(order.key);
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < order.count) {
      const i = next++;
      try {
        const { connection } = await connectSecure({ host: order.host, port: order.port, serverPublicKey, hello: { protocolVersion: PROTOCOL_VERSION, clientName: 'bench-idle' }, timeoutMs: 60_000, localAddress: order.localAddress, crypto: nativeCrypto });
        connection.on('close', () => undefined);
        held.push(connection);
        if (order.register) await register(connection, `${order.register.prefix}${order.register.from + i}`);
        ok++;
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: order.concurrency }, lane));
  return { type: 'connected', ok, failed, ms: Date.now() - started, firstError };
}

process.on('message', (msg: ConnectOrder | { type: 'exit' }) => {
  if (msg.type === 'connect') {
    void connectMany(msg).then((result) => process.send!(result));
  } else {
    for (const c of held) c.destroy();
    process.exit(0);
  }
});
process.send!({ type: 'ready' });
