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
import { Command, ErrorDetailSchema, LoginRequestSchema, PROTOCOL_VERSION, RegisterRequestSchema, ResultCode, type Frame } from '../../shared/protocol';

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
  /** Log in as the existing user `${prefix}${from + i}` (device id = username) with the device token `${tokenSecret}.${username}` (tests/bench/cluster-fixture.ts). */
  login?: { prefix: string; from: number; tokenSecret: string };
}

export interface ConnectResult {
  type: 'connected';
  ok: number;
  failed: number;
  ms: number;
  firstError?: string;
}

const held: SecureConnection[] = [];

/** Sends one request on a fresh connection as serial 1; resolves when the server answered OK. */
function request(connection: SecureConnection, command: Command, payload: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onFrame = (frame: Frame) => {
      if (frame.serial !== 1 || frame.command !== command) return;
      connection.off('frame', onFrame);
      if (frame.code === ResultCode.OK) resolve();
      else reject(new Error(`${Command[command]} ${ResultCode[frame.code] ?? frame.code}: ${fromBinary(ErrorDetailSchema, frame.payload).message}`));
    };
    connection.on('frame', onFrame);
    connection.on('close', () => reject(new Error(`closed during ${Command[command]}`)));
    connection.send({ serial: 1, command, code: 0, payload });
  });
}

/** REGISTER (and so log in) a new user. */
function register(connection: SecureConnection, username: string): Promise<void> {
  const payload = toBinary(RegisterRequestSchema, create(RegisterRequestSchema, { username, password: 'bench-password', nickname: username, device: { deviceId: username, deviceName: 'bench' } }));
  return request(connection, Command.REGISTER, payload);
}

/** LOGIN with a device token, as the app does on every reconnect. */
function tokenLogin(connection: SecureConnection, username: string, token: string): Promise<void> {
  const payload = toBinary(LoginRequestSchema, create(LoginRequestSchema, { username, credential: { case: 'deviceToken', value: token }, device: { deviceId: username, deviceName: 'bench' } }));
  return request(connection, Command.LOGIN, payload);
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
        else if (order.login) {
          const username = `${order.login.prefix}${order.login.from + i}`;
          await tokenLogin(connection, username, `${order.login.tokenSecret}.${username}`);
        }
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
