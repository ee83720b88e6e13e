/** A send key that reaches its usage limit (AES-GCM data bound, or the nonce) ends the connection cleanly. */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Command, ResultCode } from '../../../shared/protocol';
import { AESGCM_MAX_BYTES_PER_KEY, CipherState, ciphers, NoiseError, portableCrypto, type Cipher } from '../../../shared/node/noise';
import { SecureConnection } from '../../../shared/node/transport/secure-connection';
import { closeEvent, nextFrames } from './helpers';

/** AES-GCM with a tiny data limit, so the limit is reached in a test. */
const smallLimit: Cipher = { ...ciphers.AESGCM, maxBytesPerKey: 100 };

function keyed(cipher: Cipher, key: Uint8Array): CipherState {
  const state = new CipherState(cipher);
  state.initializeKey(key);
  return state;
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** Two TCP sockets connected over loopback. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  const other = await accepted;
  server.close();
  cleanup.push(() => {
    client.destroy();
    other.destroy();
  });
  return [client, other];
}

describe('key usage limit', () => {
  it('the shipped cipher carries the 2^38-byte AES-GCM bound', () => {
    expect(portableCrypto.ciphers.AESGCM?.maxBytesPerKey).toBe(AESGCM_MAX_BYTES_PER_KEY);
    expect(AESGCM_MAX_BYTES_PER_KEY).toBe(2 ** 38);
  });

  it('CipherState refuses to seal past the limit and does not move its nonce', () => {
    const state = keyed(smallLimit, new Uint8Array(32).fill(3));
    state.encrypt(new Uint8Array(60));
    state.encrypt(new Uint8Array(40));
    expect(() => state.encrypt(new Uint8Array(1))).toThrow(NoiseError);
    expect(() => state.encrypt(new Uint8Array(1))).toThrow(/usage limit/);
    expect(state.nonce).toBe(2);
  });

  it('a connection whose send key is used up closes with a clear error instead of throwing', async () => {
    const [a, b] = await socketPair();
    const key = new Uint8Array(32).fill(9);
    const sender = new SecureConnection(a, { send: keyed(smallLimit, key), receive: keyed(ciphers.AESGCM, new Uint8Array(32)), role: 'client' });
    const receiver = new SecureConnection(b, { send: keyed(ciphers.AESGCM, new Uint8Array(32)), receive: keyed(ciphers.AESGCM, key), role: 'server' });
    const got = nextFrames(receiver, 1);
    expect(sender.send({ serial: 1, command: Command.PING, code: 0, payload: new Uint8Array(40) })).toBe(true);
    expect((await got)[0]!.payload.length).toBe(40);
    const closed = closeEvent(sender);
    // 56 bytes sealed so far; another 56 would pass 100.
    expect(sender.send({ serial: 2, command: Command.PING, code: 0, payload: new Uint8Array(40) })).toBe(false);
    expect(await closed).toEqual({ code: ResultCode.INTERNAL, message: expect.stringMatching(/usage limit/) });
    expect(sender.closed).toBe(true);
    receiver.destroy();
  });
});
