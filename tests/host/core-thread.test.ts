/**
 * The core on a real worker thread (electron/host/core-thread.ts), against a
 * real server: the contract over the thread's port, validation at the port,
 * a thread that dies (with messages in its outbox) restarted with the
 * account signed in again and every message delivered exactly once, a
 * crash loop given up on, and dispose.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directKey, type MessageView, type ServerEndpoint } from '../../shared/ipc';
import Database from 'better-sqlite3-multiple-ciphers';
import type { ClientCore } from '../../electron/core';
import { cacheFilePath } from '../../electron/core/cache';
import { applyKey, cacheFileState } from '../../electron/core/cache/encryption';
import { cacheKey, newDataKey } from '../../electron/core/data-key';
import { coreThreadFromSources, startCoreThread, type CoreThreadOptions } from '../../electron/host/core-thread';
import { befriend, client, PASSWORD, record, waitFor, waitOnline } from '../core/helpers/clients';
import { childServer, tempDir, type ChildServer } from '../core/helpers/server';

let root: string;
let server: ChildServer;
const live: ClientCore[] = [];

beforeAll(async () => {
  root = tempDir('core-thread');
  server = await childServer(join(root, 'server'));
});

afterEach(async () => {
  for (const core of live.splice(0)) await core.dispose();
});

afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

const fast = { backoffInitialMs: 100, backoffMaxMs: 500, connectTimeoutMs: 2000, ackTimeoutMs: 2000 };

interface Threaded {
  core: ClientCore;
  workers: Worker[];
  logs: Array<{ level: string; msg?: string }>;
}

async function threaded(name: string, endpoint: ServerEndpoint, options: Partial<CoreThreadOptions> = {}): Promise<Threaded> {
  const workers: Worker[] = [];
  const logs: Threaded['logs'] = [];
  const at = (level: string) => (_obj: object, msg?: string) => void logs.push({ level, ...(msg !== undefined ? { msg } : {}) });
  const core = await startCoreThread({
    entry: coreThreadFromSources(),
    config: { dataDir: join(root, name), defaultServers: [endpoint], deviceName: name, clientName: 'test', logLevel: 'info', timings: fast },
    log: { info: at('info'), warn: at('warn'), error: at('error') },
    restart: { initialDelayMs: 50 },
    onWorker: (w) => workers.push(w),
    ...options,
  });
  live.push(core);
  return { core, workers, logs };
}

async function inProcess(name: string, endpoint: ServerEndpoint): Promise<ClientCore> {
  const core = await client(root, name, [endpoint], fast);
  live.push(core);
  return core;
}

function statusOf(seen: { messages: MessageView[] }[], id: string): string | undefined {
  return seen.flatMap((c) => c.messages).filter((m) => m.id === id).at(-1)?.status;
}

/** Acknowledged by the server (and maybe already delivered or read). */
function acked(seen: { messages: MessageView[] }[], id: string): boolean {
  const status = statusOf(seen, id);
  return status === 'sent' || status === 'delivered' || status === 'read';
}

describe('the core on a worker thread', () => {
  it('serves the contract: calls, events, messages both ways', async () => {
    const { core: alice, workers } = await threaded('alice', server.endpoint);
    expect(workers).toHaveLength(1);
    const bob = await inProcess('bob', server.endpoint);
    const online = record(alice, 'connectionState');
    const sa = await alice.register({ username: 'alice', password: PASSWORD, nickname: 'Alice' });
    const sb = await bob.register({ username: 'bob', password: PASSWORD });
    expect(sa.profile.nickname).toBe('Alice');
    await waitOnline(alice);
    expect(online.some((s) => s.state === 'online')).toBe(true);
    await befriend(alice, bob);

    const changes = record(alice, 'messagesChanged');
    const { id } = await alice.sendMessage({ key: directKey(sb.profile.userId), text: '你好 from a worker thread' });
    await waitFor(() => acked(changes, id), 'the ack reaches the host as an event');
    const got = await waitFor(async () => (await bob.loadMessages({ key: directKey(sa.profile.userId) })).messages[0], 'bob receives');
    expect(got).toMatchObject({ text: '你好 from a worker thread', senderId: sa.profile.userId });

    await bob.sendMessage({ key: directKey(sa.profile.userId), text: 'and back' });
    await waitFor(() => changes.flatMap((c) => c.messages).some((m) => m.text === 'and back' && !m.outgoing), 'alice hears of bob’s message');
  });

  it('validates every call again at the thread’s port', async () => {
    const { core } = await threaded('carol', server.endpoint);
    await expect(core.sendMessage({ key: 'x:1' as 'u:1', text: 'hi' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(core.getConversation({ key: 'u:1' })).rejects.toMatchObject({ code: 'NOT_LOGGED_IN' });
    expect(await core.listAccounts({})).toEqual([]);
  });

  it('the host’s data key (Electron: from the keychain) reaches the thread: the cache is encrypted with it, no key file, the same key after a restart', async () => {
    const dataKey = { key: newDataKey(), protection: 'os-keychain' as const, replaced: false };
    const dir = join(root, 'kim');
    const { core, workers } = await threaded('kim', server.endpoint, {
      config: { dataDir: dir, defaultServers: [server.endpoint], deviceName: 'kim', clientName: 'test', logLevel: 'info', timings: fast, dataKey },
    });
    const recovered = record(core, 'cacheRecovered');
    const { profile } = await core.register({ username: 'kim', password: PASSWORD });
    const file = cacheFilePath(dir, profile.userId);
    expect(cacheFileState(file)).toBe('encrypted');
    expect(existsSync(join(dir, 'data.key'))).toBe(false);
    const raw = new Database(file, { readonly: true });
    applyKey(raw, cacheKey(dataKey.key, profile.userId));
    expect(raw.prepare(`SELECT count(*) AS n FROM sqlite_schema`).get()).toMatchObject({ n: expect.any(Number) });
    raw.close();
    // A restarted thread gets the same key from the host: signed in again, the cache opens as it was.
    await workers[0]!.terminate();
    await waitFor(() => workers.length === 2, 'a new thread');
    await waitFor(async () => (await core.getSession({}))?.profile.userId === profile.userId, 'signed in again');
    expect(recovered).toEqual([]);
    expect(existsSync(join(dir, 'data.key'))).toBe(false);
  });

  it('restarts a thread that died with messages in its outbox: signed in again, each message delivered once', async () => {
    const dir = join(root, 'frozen-server');
    const frozen = await childServer(dir);
    try {
      const { core: dave, workers, logs } = await threaded('dave', frozen.endpoint);
      const erin = await inProcess('erin', frozen.endpoint);
      const sd = await dave.register({ username: 'dave', password: PASSWORD });
      const se = await erin.register({ username: 'erin', password: PASSWORD });
      await befriend(dave, erin);
      const changes = record(dave, 'messagesChanged');
      const states = record(dave, 'connectionState');

      // The server stops answering: the messages wait in the outbox (some may reach the server, unacknowledged).
      frozen.signal('SIGSTOP');
      const texts = ['one', 'two', 'three'];
      const ids: string[] = [];
      for (const text of texts) ids.push((await dave.sendMessage({ key: directKey(se.profile.userId), text })).id);
      expect(ids.map((id) => statusOf(changes, id))).toEqual(['pending', 'pending', 'pending']);

      // The core's thread dies; a call in flight at that moment fails with SHELL_DISCONNECTED.
      const inFlight = dave.searchMessages({ query: 'one' }).catch((e: unknown) => e);
      await workers[0]!.terminate();
      expect(await inFlight).toMatchObject({ code: 'SHELL_DISCONNECTED' });
      expect(states.at(-1)).toMatchObject({ state: 'offline', lastError: { code: 'SHELL_DISCONNECTED' } });
      frozen.signal('SIGCONT');

      // A new thread, the same account signed in again (the UI needs to do nothing), the outbox sent.
      await waitFor(() => workers.length === 2, 'a new thread');
      expect((await dave.getSession({}))?.profile.userId).toBe(sd.profile.userId);
      await waitFor(() => ids.every((id) => acked(changes, id)), 'the outbox is acknowledged after the restart', 20_000);
      const received = await waitFor(async () => {
        const page = await erin.loadMessages({ key: directKey(sd.profile.userId), limit: 50 });
        return page.messages.length >= 3 ? page.messages : undefined;
      }, 'erin receives');
      // Exactly once each, in order, even if the server had stored some before the thread died.
      await new Promise((r) => setTimeout(r, 300));
      const final = (await erin.loadMessages({ key: directKey(sd.profile.userId), limit: 50 })).messages;
      expect(final.map((m) => m.text)).toEqual(texts);
      expect(received.length).toBe(3);
      expect(logs.some((l) => l.msg === 'core thread ended unexpectedly')).toBe(true);
      expect(logs.some((l) => l.msg === 'core thread restarted')).toBe(true);
    } finally {
      await frozen.stop();
    }
  });

  it('gives up on a thread that keeps dying, and says so', async () => {
    const { core, workers } = await threaded('frank', server.endpoint, { restart: { initialDelayMs: 20, maxCrashes: 2 } });
    const states = record(core, 'connectionState');
    await workers[0]!.terminate();
    await waitFor(() => workers.length === 2, 'one restart');
    await waitFor(async () => (await core.listAccounts({})) !== undefined, 'the restarted core answers');
    await workers[1]!.terminate();
    await waitFor(() => states.some((s) => s.lastError?.message === 'the core keeps stopping'), 'the host gives up');
    await expect(core.listAccounts({})).rejects.toMatchObject({ code: 'SHELL_DISCONNECTED' });
    expect(workers).toHaveLength(2);
  });

  it('a core that cannot start fails the start with a clear error', async () => {
    const blocker = join(root, 'not-a-directory');
    writeFileSync(blocker, 'x');
    await expect(
      startCoreThread({
        entry: coreThreadFromSources(),
        config: { dataDir: join(blocker, 'data'), defaultServers: [], deviceName: 'x', clientName: 'test', logLevel: 'error' },
        log: { info() {}, warn() {}, error() {} },
      }),
    ).rejects.toThrow(/the core could not start: .*(ENOTDIR|EEXIST)/);
  });

  it('dispose ends the thread; later calls fail with SHELL_DISCONNECTED', async () => {
    mkdirSync(join(root, 'grace'), { recursive: true });
    const { core, workers } = await threaded('grace', server.endpoint);
    const exited = new Promise<number>((resolve) => workers[0]!.once('exit', resolve));
    await core.dispose();
    expect(await exited).toBe(0);
    await expect(core.listAccounts({})).rejects.toMatchObject({ code: 'SHELL_DISCONNECTED' });
    live.splice(live.indexOf(core), 1);
  });
});
