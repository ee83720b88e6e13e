/** Settings, the account store and client message ids. */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Settings } from '../../shared/ipc';
import { AccountStore } from '../../electron/core/account-store';
import { newDataKey, SecretSealer } from '../../electron/core/data-key';
import { createCore } from '../../electron/core/index';
import { uuidv7 } from '../../electron/core/uuidv7';
import { endpoint, scriptedConnector } from './helpers/memory-link';
import { tempDir } from './helpers/server';

let dir: string;
beforeEach(() => {
  dir = tempDir('stores');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('settings', () => {
  it('defaults to the given servers, persists updates and announces them', async () => {
    const core = await createCore({ dataDir: dir, defaultServers: [endpoint(7800)], connector: scriptedConnector().connector });
    const settings = await core.getSettings({});
    expect(settings).toMatchObject({ language: 'system', theme: 'system', servers: [endpoint(7800)] });
    const seen: Settings[] = [];
    core.on('settingsChanged', (s) => seen.push(s));
    const next = await core.updateSettings({ theme: 'dark', notifications: { sound: false } });
    expect(next).toMatchObject({ theme: 'dark', notifications: { privacy: settings.notifications.privacy, sound: false } });
    expect(seen).toEqual([next]);
    await core.dispose();

    const again = await createCore({ dataDir: dir, defaultServers: [endpoint(1)], connector: scriptedConnector().connector });
    expect(await again.getSettings({})).toEqual(next);
    await again.dispose();
  });

  it('keeps the proxy password sealed on disk; one in clear from an older file is sealed on load; a lost key empties only it', async () => {
    const proxy = { type: 'socks5' as const, host: 'proxy.example', port: 1080, username: 'me', password: 'proxy secret 代理' };
    const core = await createCore({ dataDir: dir, defaultServers: [endpoint(3)], connector: scriptedConnector().connector });
    await core.updateSettings({ proxy });
    await core.dispose();
    const file = join(dir, 'settings.json');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('proxy secret');
    expect(JSON.parse(text).proxy).toMatchObject({ username: 'me', passwordSealed: expect.stringMatching(/^v1\./) });
    expect(JSON.parse(text).proxy.password).toBeUndefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await createCore({ dataDir: dir, defaultServers: [endpoint(3)], connector: scriptedConnector().connector });
    expect((await again.getSettings({})).proxy).toEqual(proxy);
    await again.dispose();

    // An older version wrote it in clear.
    const old = JSON.parse(text);
    delete old.proxy.passwordSealed;
    old.proxy.password = 'old clear secret';
    old.theme = 'dark';
    writeFileSync(file, JSON.stringify(old));
    const third = await createCore({ dataDir: dir, defaultServers: [endpoint(3)], connector: scriptedConnector().connector });
    expect((await third.getSettings({})).proxy.password).toBe('old clear secret');
    await third.dispose();
    expect(readFileSync(file, 'utf8')).not.toContain('old clear secret');

    // The data key is lost: the password cannot be opened; every other choice stays.
    rmSync(join(dir, 'data.key'));
    const fourth = await createCore({ dataDir: dir, defaultServers: [endpoint(3)], connector: scriptedConnector().connector });
    expect(await fourth.getSettings({})).toMatchObject({ theme: 'dark', proxy: { ...proxy, password: '' } });
    await fourth.dispose();
  });

  it('survives a damaged settings file', async () => {
    writeFileSync(join(dir, 'settings.json'), '{ not json');
    const core = await createCore({ dataDir: dir, defaultServers: [endpoint(2)], connector: scriptedConnector().connector });
    expect((await core.getSettings({})).servers).toEqual([endpoint(2)]);
    await core.dispose();
  });

  it('methods that need an account say so', async () => {
    const core = await createCore({ dataDir: dir, connector: scriptedConnector().connector });
    await expect(core.listConversations({})).rejects.toMatchObject({ code: 'NOT_LOGGED_IN' });
    await expect(core.login({ username: 'nobody' })).rejects.toMatchObject({ code: 'PASSWORD_REQUIRED' });
    expect(await core.getSession({})).toBeNull();
    expect(await core.getConnectionStatus({})).toEqual({ state: 'offline' });
    await core.dispose();
  });
});

describe('AccountStore', () => {
  const sealer = new SecretSealer(newDataKey());

  it('keeps tokens sealed in a 0600 file and a stable device id', () => {
    const store = new AccountStore(dir, sealer);
    store.upsert({ userId: 5, username: 'a', nickname: 'A', avatar: '', server: 'h:1', endpoints: [], deviceToken: 'secret-token', lastLoginAt: 1 });
    const file = join(dir, 'accounts.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain('secret-token'); // sealed, never in clear
    const reopened = new AccountStore(dir, sealer);
    expect(reopened.deviceId).toBe(store.deviceId);
    expect(reopened.byId(5)?.deviceToken).toBe('secret-token');
    expect(reopened.list()).toEqual([{ userId: 5, username: 'a', nickname: 'A', avatar: '', server: 'h:1', canAutoLogin: true, lastLoginAt: 1 }]);
    reopened.setToken(5, undefined);
    expect(new AccountStore(dir, sealer).list()[0]?.canAutoLogin).toBe(false);
  });

  it('seals a token left in clear by an older version, on load', () => {
    const file = join(dir, 'accounts.json');
    writeFileSync(file, JSON.stringify({ deviceId: 'd1', accounts: [{ userId: 7, username: 'b', nickname: 'B', avatar: '', server: 'h:1', endpoints: [], deviceToken: 'old-clear-token', lastLoginAt: 2 }] }));
    const store = new AccountStore(dir, sealer);
    expect(store.byId(7)?.deviceToken).toBe('old-clear-token');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('old-clear-token');
    expect(JSON.parse(text).accounts[0].deviceTokenSealed).toMatch(/^v1\./);
  });

  it('drops a token sealed under another key (the key was lost): that account signs in with its password', () => {
    new AccountStore(dir, sealer).upsert({ userId: 5, username: 'a', nickname: 'A', avatar: '', server: 'h:1', endpoints: [], deviceToken: 'secret-token', lastLoginAt: 1 });
    const other = new AccountStore(dir, new SecretSealer(newDataKey()));
    expect(other.lostTokens).toEqual([5]);
    expect(other.list()[0]).toMatchObject({ username: 'a', canAutoLogin: false });
    // A sealed token cannot be moved to another account either.
    const sealed = sealer.seal('t', 'device token of user 5');
    expect(sealer.open(sealed, 'device token of user 6')).toBeNull();
    expect(sealer.open(sealed, 'device token of user 5')).toBe('t');
  });
});

describe('uuidv7', () => {
  it('is a version-7 RFC 9562 id, sortable in creation order', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
    for (const id of ids.slice(0, 10)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // The first 48 bits are the Unix milliseconds.
    expect(uuidv7(1_800_000_000_000).slice(0, 13)).toBe('01a3185c-5000');
  });
});
