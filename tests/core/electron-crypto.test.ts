/**
 * The whole client core (connection, login, outbox, sync, SQLite cache)
 * under Electron's crypto profile: node:crypto refuses everything BoringSSL
 * lacks (tests/support/electron-crypto.ts). The server is a child process on
 * plain Node, as in production. Two cores register, become friends and
 * exchange a message; and a runtime that lacks AES-256-GCM is refused at
 * core start with CRYPTO_UNAVAILABLE naming it, before any socket opens.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCore, type ClientCore } from '../../electron/core/index';
import { electronCryptoControls } from '../support/electron-crypto';
import { befriend, client, PASSWORD, waitFor, waitOnline } from './helpers/clients';
import { childServer, tempDir, type ChildServer } from './helpers/server';

vi.mock('node:crypto', async (importOriginal) => (await import('../support/electron-crypto')).electronCrypto(await importOriginal()));
vi.mock('crypto', async (importOriginal) => (await import('../support/electron-crypto')).electronCrypto(await importOriginal()));

let root: string;
let server: ChildServer;
const cores: ClientCore[] = [];

beforeAll(async () => {
  root = tempDir('electron-crypto');
  server = await childServer(join(root, 'server'));
});

afterAll(async () => {
  for (const c of cores) await c.dispose();
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => electronCryptoControls.alsoRefusedCiphers.clear());

describe('client core with Electron crypto', () => {
  it('registers, befriends and exchanges a message through the real server', async () => {
    const refusalsBefore = electronCryptoControls.refusals.length;
    const alice = await client(root, 'alice', [server.endpoint]);
    const bob = await client(root, 'bob', [server.endpoint]);
    cores.push(alice, bob);
    await alice.register({ username: 'alice', password: PASSWORD });
    const bobSession = await bob.register({ username: 'bob', password: PASSWORD });
    await waitOnline(alice);
    await befriend(alice, bob);
    const key = `u:${bobSession.profile.userId}` as const;
    const sent = await alice.sendMessage({ key, text: '在 Electron 里也能加密' });
    await waitFor(async () => (await alice.loadMessages({ key })).messages.find((m) => m.id === sent.id && m.status !== 'pending'), 'ack');
    const aliceKey = `u:${(await alice.getSession({}))!.profile.userId}` as const;
    const got = await waitFor(async () => (await bob.loadMessages({ key: aliceKey })).messages[0], 'bob receives');
    expect(got.text).toBe('在 Electron 里也能加密');
    // The core never asked node:crypto for anything Electron lacks.
    expect(electronCryptoControls.refusals.slice(refusalsBefore)).toEqual([]);
  });

  it('refuses to start, naming AES-256-GCM, on a runtime without it', async () => {
    electronCryptoControls.alsoRefusedCiphers.add('aes-256-gcm');
    // The self-check passed once in this process (first test) and is remembered; a fresh module graph runs it again.
    vi.resetModules();
    const { createCore: freshCreateCore } = await import('../../electron/core/index');
    await expect(freshCreateCore({ dataDir: join(root, 'broken') })).rejects.toMatchObject({ code: 'CRYPTO_UNAVAILABLE', message: expect.stringMatching(/AES-256-GCM/) });
    expect(createCore).not.toBe(freshCreateCore);
  });
});
