/**
 * A hostile or broken server must not crash the app (issue 9 item 1). The
 * server here holds the key the core pins, so the handshake succeeds; then
 * it answers requests with random frames (any command, code and payload,
 * the request's serial or another), pushes unsolicited garbage, stays
 * silent, or hangs up mid-request. Every register attempt must end in a
 * typed error (or a session), nothing may be thrown unhandled, and the core
 * stays responsive and disposes cleanly. The byte level below the frames is
 * fuzzed in tests/shared/node/transport-fuzz.test.ts.
 */
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServerEndpoint } from '../../shared/ipc';
import { encodeKey, nativeCrypto } from '../../shared/node/noise';
import { acceptSecure, type SecureConnection } from '../../shared/node/transport/secure-connection';
import { Command, ResultCode, type Frame } from '../../shared/protocol';
import { createCore, type ClientCore } from '../../electron/core/index';
import { fuzzCases, fuzzSeed, Rng } from '../shared/support/fuzz';
import { tempDir } from './helpers/server';

const SEED = fuzzSeed(11_2026);
const ROUNDS = Math.max(1, Math.ceil(fuzzCases(1_200) / 30));
const KNOWN_CODES = Object.values(ResultCode).filter((v): v is number => typeof v === 'number');

type Behaviour = 'random-replies' | 'unsolicited' | 'silent' | 'hang-up';

let root: string;
let server: Server;
let endpoint: ServerEndpoint;
let rng: Rng;
const connections = new Set<SecureConnection>();
/** The behaviour of each next connection, drawn when it arrives. */
const seen = new Map<Behaviour, number>();

function randomFrame(serial: number): Frame {
  return {
    serial: rng.next() < 0.8 ? serial : rng.int(2 ** 31),
    command: rng.pick([Command.ERROR, Command.PONG, Command.PUSH, Command.LOGIN, Command.REGISTER, Command.SYNC, rng.int(200)]),
    code: rng.pick([ResultCode.OK, ResultCode.OK, rng.pick(KNOWN_CODES), rng.int(2 ** 31)]),
    payload: rng.bytes(rng.pick([0, 1, 5, 40, 300])),
  };
}

function behave(connection: SecureConnection): void {
  const behaviour = rng.pick<Behaviour>(['random-replies', 'random-replies', 'unsolicited', 'silent', 'hang-up']);
  seen.set(behaviour, (seen.get(behaviour) ?? 0) + 1);
  if (behaviour === 'unsolicited') for (let i = 0; i < 1 + rng.int(5); i++) connection.send(randomFrame(0));
  connection.on('frame', (frame) => {
    if (behaviour === 'silent') return;
    if (behaviour === 'hang-up') return void connection.destroy();
    for (let i = 0; i < 1 + rng.int(3); i++) connection.send(randomFrame(frame.serial));
  });
}

beforeAll(async () => {
  root = tempDir('hostile-server');
  rng = new Rng(SEED);
  const staticKey = nativeCrypto.dh.generateKeyPair();
  server = createServer((socket) => {
    acceptSecure(socket, { staticKey, onHello: () => ({ code: ResultCode.OK, response: { protocolVersion: 1, maxFrameSize: 1024 * 1024 } }) }).then(
      (connection) => {
        connections.add(connection);
        connection.on('close', () => connections.delete(connection));
        behave(connection);
      },
      () => undefined,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = { host: '127.0.0.1', port: (server.address() as AddressInfo).port, publicKey: encodeKey(staticKey.publicKey) };
});

afterAll(async () => {
  for (const c of connections) c.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

it(`the core survives ${ROUNDS} sessions with a hostile server: typed errors, no crash, still responsive`, async () => {
  const core: ClientCore = await createCore({
    dataDir: join(root, 'client'),
    deviceName: 'fuzz',
    timings: { connectTimeoutMs: 2_000, requestTimeoutMs: 500, backoffInitialMs: 50, backoffMaxMs: 200, heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 500 },
  });
  const outcomes = new Map<string, number>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const attempt = core.register({ username: `fuzz_${round}`, password: 'correct horse battery', server: endpoint }).then(
        () => 'session',
        (err: unknown) => {
          const code = (err as { code?: unknown }).code;
          if (typeof code !== 'string' || code.length === 0) throw new Error(`seed ${SEED} round ${round}: an untyped error: ${String(err)}`);
          return code;
        },
      );
      const outcome = await Promise.race([attempt, new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 15 s'), 15_000))]);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      expect(outcome, `seed ${SEED} round ${round}`).not.toBe('no answer within 15 s');
      if (outcome === 'session') await core.logout({});
      // Responsive between rounds.
      expect((await core.getConnectionStatus({})).state).toMatch(/offline|connecting|handshaking|authenticating|syncing|online/);
    }
  } finally {
    await core.dispose();
  }
  console.log(`hostile server vs the core (seed ${SEED}): ${ROUNDS} rounds, behaviours ${JSON.stringify(Object.fromEntries(seen))}, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
  expect(seen.size).toBeGreaterThan(1);
}, 300_000);
