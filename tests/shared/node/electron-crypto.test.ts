/**
 * The client transport under Electron's crypto profile (issue 9 item 0).
 *
 * Every module this file loads sees a node:crypto that refuses what
 * Electron's BoringSSL-based Node lacks (tests/support/electron-crypto.ts
 * cites where each list comes from). The real server runs as its own process
 * on plain Node (OpenSSL), as in production. The client must connect,
 * handshake, log in and exchange frames both ways; the first version's client
 * crypto (ChaChaPoly, node:crypto X25519) must fail here, which shows the test
 * would have caught the bug; and the start-up self-check must name a missing
 * primitive.
 */
import { createCipheriv, generateKeyPairSync, getCiphers } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command, ResultCode } from '../../../shared/protocol';
import {
  assertTransportCrypto,
  checkCrypto,
  CryptoUnavailableError,
  HandshakeState,
  nativeCrypto,
  portableCrypto,
  portableX25519,
  TERN_NOISE_PROLOGUE,
  TERN_NOISE_PROTOCOL,
  type NoiseCrypto,
} from '../../../shared/node/noise';
import { acceptSecure, connectSecure, type SecureConnection } from '../../../shared/node/transport/secure-connection';
import { TestClient } from '../../server/helpers/client';
import { startServerProcess, type ServerProcess } from '../../server/helpers/process';
import { befriend, direct, sendText } from '../../server/helpers/social';
import { electronCryptoControls } from '../../support/electron-crypto';
import { nextFrames } from './helpers';

vi.mock('node:crypto', async (importOriginal) => (await import('../../support/electron-crypto')).electronCrypto(await importOriginal()));
vi.mock('crypto', async (importOriginal) => (await import('../../support/electron-crypto')).electronCrypto(await importOriginal()));

let server: ServerProcess & { stop(): Promise<void> };

// Starting a server process (tsx compiles it) takes long on a loaded machine.
beforeAll(async () => {
  server = await startServerProcess();
}, 180_000);

afterAll(() => server?.stop());

afterEach(() => {
  electronCryptoControls.alsoRefusedCiphers.clear();
  electronCryptoControls.alsoRefusedHashes.clear();
});

describe('the Electron crypto shim', () => {
  it('is what this file sees: no ChaCha20-Poly1305, no X25519 key objects, AES-256-GCM present', () => {
    expect(getCiphers()).not.toContain('chacha20-poly1305');
    expect(getCiphers()).toContain('aes-256-gcm');
    expect(() => createCipheriv('chacha20-poly1305', Buffer.alloc(32), Buffer.alloc(12), { authTagLength: 16 })).toThrow(/Unknown cipher/);
    expect(() => generateKeyPairSync('x25519')).toThrow(/Unsupported key type: x25519/);
    expect(() => createCipheriv('aes-256-gcm', Buffer.alloc(32), Buffer.alloc(12))).not.toThrow();
  });
});

describe('the first version of the client crypto fails under it (the test can fail)', () => {
  it('ChaChaPoly cannot seal the first handshake message', () => {
    const server = portableCrypto.dh.generateKeyPair();
    // The native ciphers with a working X25519, so the cipher is what fails.
    const chachaClient: NoiseCrypto = { ...nativeCrypto, dh: portableX25519 };
    const client = new HandshakeState({ protocolName: 'Noise_NK_25519_ChaChaPoly_SHA256', crypto: chachaClient, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: server.publicKey });
    expect(() => client.writeMessage(new Uint8Array(0))).toThrow(/Unknown cipher: chacha20-poly1305/);
  });

  it('node:crypto X25519 (the native profile) cannot make an ephemeral key', () => {
    const server = portableCrypto.dh.generateKeyPair();
    const client = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, crypto: nativeCrypto, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: server.publicKey });
    expect(() => client.writeMessage(new Uint8Array(0))).toThrow(/x25519/);
  });

  it('connectSecure with the native profile fails against the real server', async () => {
    await expect(
      connectSecure({ host: server.host, port: server.port, serverPublicKey: server.publicKey, hello: { protocolVersion: 1 }, crypto: nativeCrypto }),
    ).rejects.toThrow(/x25519/);
  });
});

describe('the client transport under it', () => {
  it('connects to the real server, handshakes, and exchanges frames both ways (PING, login, a message and its push)', async () => {
    const alice = await TestClient.connect(server);
    const bob = await TestClient.connect(server);
    try {
      const pong = await alice.call(Command.PING, { sentAt: 42n });
      expect(pong.sentAt).toBe(42n);
      await alice.register('alice_electron');
      await bob.register('bob_electron');
      await befriend(alice, bob);
      // Long enough to need several TCP segments; Chinese text, as users write it.
      const text = '你好，Electron！'.repeat(500);
      const received = bob.waitEvent('message', (m) => m.text === text);
      const ack = await sendText(alice, direct(bob), text);
      expect(ack.msgId).toBeGreaterThan(0n);
      expect((await received).senderId).toBe(BigInt(alice.userId));
    } finally {
      await alice.close();
      await bob.close();
    }
    expect(server.child.exitCode).toBeNull();
  });

  it('a portable client and a portable server (both under the shim) carry a 1 MiB frame each way', async () => {
    const staticKey = portableCrypto.dh.generateKeyPair();
    const accepted: Promise<SecureConnection>[] = [];
    const srv: Server = createServer((socket) => {
      accepted.push(acceptSecure(socket, { staticKey, crypto: portableCrypto, maxFrameSize: 2 * 1024 * 1024, onHello: () => ({ code: ResultCode.OK, response: { protocolVersion: 1, maxFrameSize: 2 * 1024 * 1024 } }) }));
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const { connection: client } = await connectSecure({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, serverPublicKey: staticKey.publicKey, hello: { protocolVersion: 1 } });
    const serverSide = await accepted[0]!;
    try {
      const payload = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 0xff);
      const atServer = nextFrames(serverSide, 1);
      client.send({ serial: 1, command: Command.PING, code: 0, payload });
      expect(Buffer.from((await atServer)[0]!.payload).equals(payload)).toBe(true);
      const atClient = nextFrames(client, 1);
      serverSide.send({ serial: 1, command: Command.PONG, code: 0, payload });
      expect(Buffer.from((await atClient)[0]!.payload).equals(payload)).toBe(true);
    } finally {
      client.destroy();
      serverSide.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });
});

describe('the start-up self-check under it', () => {
  it('passes for the portable profile and fails for the native one, naming X25519', () => {
    expect(checkCrypto(portableCrypto)).toMatchObject({ ok: true, missing: [] });
    const native = checkCrypto(nativeCrypto);
    expect(native.ok).toBe(false);
    expect(native.missing).toContain('X25519');
  });

  it('names AES-256-GCM when a runtime lacks it too, and assertTransportCrypto throws with that name', () => {
    electronCryptoControls.alsoRefusedCiphers.add('aes-256-gcm');
    const report = checkCrypto(portableCrypto);
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual(['AES-256-GCM', 'Noise handshake']);
    expect(report.checks.find((c) => c.primitive === 'AES-256-GCM')?.error).toMatch(/Unknown cipher: aes-256-gcm/);
    expect(() => assertTransportCrypto()).toThrow(CryptoUnavailableError);
    expect(() => assertTransportCrypto()).toThrow(/AES-256-GCM \(Unknown cipher: aes-256-gcm\)/);
  });

  it('names SHA-256 and HMAC-SHA-256 when the digest is missing', () => {
    electronCryptoControls.alsoRefusedHashes.add('sha256');
    const report = checkCrypto(portableCrypto);
    expect(report.missing).toEqual(expect.arrayContaining(['SHA-256', 'HMAC-SHA-256']));
  });
});
