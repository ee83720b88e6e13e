/**
 * The core end to end under a manual clock, against a scripted in-memory
 * server: login sync order and paging, pushes (next, duplicate, gap), no
 * sync when nothing is new, token rejection, and clean disposal.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncDomain } from '../../shared/protocol';
import { createCore, type ClientCore } from '../../electron/core/index';
import { FakeServer } from './helpers/fake-server';
import { ManualClock } from './helpers/manual-clock';
import { endpoint, scriptedConnector } from './helpers/memory-link';
import { tempDir } from './helpers/server';

let dir: string;
let cores: ClientCore[] = [];
beforeEach(() => {
  dir = tempDir('core-sync');
});
afterEach(async () => {
  for (const c of cores) await c.dispose();
  cores = [];
  rmSync(dir, { recursive: true, force: true });
});

async function boot(server: FakeServer, clock = new ManualClock(), pageSize = 5) {
  const script = scriptedConnector();
  script.setup = (c) => server.attach(c);
  const core = await createCore({ dataDir: dir, defaultServers: [endpoint(1)], clock, connector: script.connector, timings: { syncPageSize: pageSize }, random: () => 0 });
  cores.push(core);
  return { core, clock, script };
}

describe('login sync', () => {
  it('pulls messages first (UI usable after the first page), then settings, friends, profiles, groups, members', async () => {
    const server = new FakeServer();
    server.addFriend(2);
    for (let i = 0; i < 12; i++) server.addMessage(2 + (i % 3), `hello ${i}`);
    server.addGroup(9);
    const { core, clock } = await boot(server);
    let requestsAtFirstChange: SyncDomain[][] | undefined;
    core.on('conversationsChanged', () => {
      requestsAtFirstChange ??= server.syncRequests.map((r) => r.domains);
    });
    await core.login({ username: 'me', password: 'password1' });
    await clock.advance(0);
    expect(server.syncRequests.map((r) => r.domains)).toEqual([
      [SyncDomain.MESSAGES],
      [SyncDomain.MESSAGES],
      [SyncDomain.MESSAGES],
      [SyncDomain.SETTINGS],
      [SyncDomain.FRIENDS],
      [SyncDomain.PROFILES],
      [SyncDomain.GROUPS],
      [SyncDomain.MEMBERS],
    ]);
    // The conversation list changed after the first page came in (the next
    // messages page was already asked for), before anything else was synced.
    expect(requestsAtFirstChange).toEqual([[SyncDomain.MESSAGES], [SyncDomain.MESSAGES]]);
    const list = await core.listConversations({});
    expect(list.items).toHaveLength(3);
    expect((await core.listFriends({})).map((f) => f.userId)).toEqual([2]);
    expect((await core.listGroups({})).map((g) => g.id)).toEqual([9]);
    expect(await core.getConnectionStatus({})).toMatchObject({ state: 'online' });
  });

  it('sends no SYNC when the cache is already at the login sync_head', async () => {
    const server = new FakeServer();
    server.addMessage(2, 'one');
    const clock = new ManualClock();
    const first = await boot(server, clock);
    await first.core.login({ username: 'me', password: 'password1' });
    await clock.advance(0);
    const before = server.syncRequests.length;
    await first.core.dispose();
    const second = await boot(server, clock);
    await second.core.login({ username: 'me' });
    await clock.advance(0);
    expect(server.logins.at(-1)).toMatchObject({ token: true });
    // Each login attempt of the device is later than the one before, even at the same clock reading (the server keeps the later one's session).
    const [one, two] = server.logins.slice(-2).map((l) => l.attemptAt);
    expect(one).toBeGreaterThan(0);
    expect(two).toBeGreaterThan(one!);
    expect(server.syncRequests.length).toBe(before);
    expect(await second.core.getConnectionStatus({})).toMatchObject({ state: 'online' });
  });
});

describe('pushes', () => {
  it('applies the next event, ignores a duplicate, pulls on a gap; acks only what is stored', async () => {
    const server = new FakeServer();
    server.addMessage(2, 'before');
    const { core, clock } = await boot(server);
    await core.login({ username: 'me', password: 'password1' });
    await clock.advance(0);
    const syncs = server.syncRequests.length;
    const changed: string[] = [];
    core.on('messagesChanged', (e) => changed.push(...e.messages.map((m) => m.text)));

    const next = server.addMessage(2, 'next');
    server.push(next);
    await clock.advance(0);
    expect(server.pushAcks).toEqual([2]);
    expect(changed).toEqual(['next']);

    server.push(next); // duplicate
    await clock.advance(0);
    expect(server.pushAcks).toEqual([2, 2]);
    expect(changed).toEqual(['next']);

    server.addMessage(3, 'missed'); // never pushed: lost hint
    const after = server.addMessage(2, 'after gap');
    server.push(after);
    await clock.advance(0);
    expect(server.syncRequests.slice(syncs)).toEqual([{ cursor: 2, domains: [] }]);
    expect(server.pushAcks).toEqual([2, 2, 4]);
    expect(changed).toEqual(['next', 'missed', 'after gap']);
    const page = await core.loadMessages({ key: 'u:2' });
    expect(page.messages.map((m) => m.text)).toEqual(['before', 'next', 'after gap']);
  });
});

describe('a gap pull that fails', () => {
  it('is tried again after the retry hint until the gap is filled, though no further push comes', async () => {
    const server = new FakeServer();
    server.addMessage(2, 'before');
    const { core, clock } = await boot(server);
    await core.login({ username: 'me', password: 'password1' });
    await clock.advance(0);
    const syncs = server.syncRequests.length;

    // The server's database restarts: the pushes of what committed just before still arrive, pulls fail.
    server.syncUnavailable = 2;
    server.syncRetryAfterMs = 3000;
    server.addMessage(3, 'missed');
    server.push(server.addMessage(2, 'last of the burst'));
    await clock.advance(0);
    expect(server.syncRequests.slice(syncs)).toEqual([{ cursor: 1, domains: [] }]);
    expect(server.pushAcks).toEqual([]);

    // Not before the hint.
    await clock.advance(2999);
    expect(server.syncRequests.slice(syncs)).toHaveLength(1);
    await clock.advance(1); // second attempt: still unavailable
    expect(server.syncRequests.slice(syncs)).toHaveLength(2);
    await clock.advance(3000); // third: the database is back
    expect(server.syncRequests.slice(syncs)).toEqual([
      { cursor: 1, domains: [] },
      { cursor: 1, domains: [] },
      { cursor: 1, domains: [] },
    ]);
    const page = await core.loadMessages({ key: 'u:3' });
    expect(page.messages.map((m) => m.text)).toEqual(['missed']);
    expect((await core.loadMessages({ key: 'u:2' })).messages.map((m) => m.text)).toEqual(['before', 'last of the burst']);

    // Nothing more is pulled once the gap is closed; the next push applies directly.
    await clock.advance(60_000);
    expect(server.syncRequests.slice(syncs)).toHaveLength(3);
    server.push(server.addMessage(2, 'next'));
    await clock.advance(0);
    expect(server.syncRequests.slice(syncs)).toHaveLength(3);
    expect(server.pushAcks).toEqual([4]);
  });
});

describe('pushes during the login sync', () => {
  it('are held, stored once by the sync, then acknowledged', async () => {
    const server = new FakeServer();
    for (let i = 0; i < 12; i++) server.addMessage(2, `old ${i}`);
    const { core, clock } = await boot(server);
    server.onSync = (n) => {
      if (n === 1) server.push(server.addMessage(2, 'live during sync'));
    };
    await core.login({ username: 'me', password: 'password1' });
    await clock.advance(0);
    const texts = (await core.loadMessages({ key: 'u:2', limit: 50 })).messages.map((m) => m.text);
    expect(texts).toEqual([...Array.from({ length: 12 }, (_, i) => `old ${i}`), 'live during sync']);
    expect(server.pushAcks).toEqual([13]);
  });
});

describe('corrupt cache', () => {
  it('is moved aside, announced, and rebuilt from the server', async () => {
    const server = new FakeServer();
    for (let i = 0; i < 3; i++) server.addMessage(2, `kept ${i}`);
    const clock = new ManualClock();
    const first = await boot(server, clock);
    await first.core.login({ username: 'me', password: 'password1' });
    await clock.advance(0);
    await first.core.dispose();
    writeFileSync(join(dir, 'accounts', '1', 'cache.db'), 'this is not a database '.repeat(200));
    rmSync(join(dir, 'accounts', '1', 'cache.db-wal'), { force: true });

    const second = await boot(server, clock);
    const recovered: { code: string; movedTo: string }[] = [];
    second.core.on('cacheRecovered', (e) => recovered.push({ code: e.error.code, movedTo: e.movedTo }));
    const syncsBefore = server.syncRequests.length;
    await second.core.login({ username: 'me' });
    await clock.advance(0);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.code).toBe('CACHE_CORRUPT');
    expect(existsSync(recovered[0]!.movedTo)).toBe(true);
    expect(server.syncRequests[syncsBefore]).toEqual({ cursor: 0, domains: [SyncDomain.MESSAGES] });
    expect((await second.core.loadMessages({ key: 'u:2' })).messages.map((m) => m.text)).toEqual(['kept 0', 'kept 1', 'kept 2']);
  });
});

describe('token rejected', () => {
  it('emits passwordRequired and does not reconnect', async () => {
    const server = new FakeServer();
    const clock = new ManualClock();
    const first = await boot(server, clock);
    await first.core.login({ username: 'me', password: 'password1' });
    await first.core.dispose();
    server.tokenValid = false;
    const { core, script } = await boot(server, clock);
    const asked: string[] = [];
    core.on('passwordRequired', (e) => asked.push(e.username));
    await expect(core.login({ username: 'me' })).rejects.toMatchObject({ code: 'PASSWORD_REQUIRED' });
    expect(asked).toEqual(['me']);
    const attempts = script.attempts.length;
    await clock.advance(120_000);
    expect(script.attempts.length).toBe(attempts);
  });
});

describe('dispose', () => {
  it('closes the connection and leaves no timer behind', async () => {
    const server = new FakeServer();
    const { core, clock, script } = await boot(server);
    await core.login({ username: 'me', password: 'password1' });
    await core.sendMessage({ key: 'u:2', text: 'unsent' }); // keeps the outbox and heartbeat busy
    await clock.advance(1000);
    expect(clock.pendingTimers).toBeGreaterThan(0);
    await core.dispose();
    cores = cores.filter((c) => c !== core);
    expect(script.connections.every((c) => c.closed)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});
