// The web shell with the real client core and a real server over loopback:
// two users, each with their own web shell + core (as the E2E tests run them),
// talk through the renderer's WebSocket transport.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCore } from '../../electron/core';
import { silentLog, startWebShell, type WebShell } from '../../electron/web-shell';
import type { RunningServer } from '../../server';
import type { ConversationKey, MessageView, ServerEndpoint } from '../../shared/ipc';
import { createWebSocketTransport, webSocketUrlFor, type WebSocketLike, type WebSocketTransport } from '../../renderer/transport/ws-transport';
import { waitFor, waitOnline } from '../core/helpers/clients';
import { inProcessServer } from '../core/helpers/server';

let root: string;
let server: RunningServer;
let endpoint: ServerEndpoint;
const shells: WebShell[] = [];
const transports: WebSocketTransport[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tern-webshell-it-'));
  ({ server, endpoint } = await inProcessServer(join(root, 'server')));
});

afterAll(async () => {
  for (const t of transports) t.close();
  for (const s of shells) await s.close(); // disposes the cores it created
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** What an E2E test does per simulated user: one core, one web shell, one browser page (here: the transport). */
async function user(name: string) {
  const shell = await startWebShell({
    coreFactory: () => createCore({ dataDir: join(root, name), defaultServers: [endpoint], deviceName: name }),
    rendererDir: join(root, 'no-renderer'),
    log: silentLog,
  });
  shells.push(shell);
  const page = new URL(shell.url);
  const t = createWebSocketTransport({
    url: webSocketUrlFor(page),
    createSocket: (u) => new WebSocket(u, { origin: shell.origin }) as unknown as WebSocketLike,
  });
  transports.push(t);
  return t.api;
}

describe('web shell + real core + real server', () => {
  it('registers two users, befriends them and delivers a message as a pushed event', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const states: string[] = [];
    alice.onConnectionState((s) => states.push(s.state));

    const a = await alice.register({ username: 'alice', password: 'correct horse', nickname: 'Alice' });
    const b = await bob.register({ username: 'bob', password: 'correct horse' });
    expect(a.profile.nickname).toBe('Alice');
    await waitOnline(alice, 'alice online');
    expect(states).toContain('online');
    expect((await alice.getAppInfo({})).shell).toBe('web');

    await alice.sendFriendRequest({ userId: b.profile.userId });
    const req = await waitFor(async () => (await bob.listFriendRequests({})).find((r) => r.direction === 'incoming'), 'request');
    await bob.acceptFriendRequest({ requestId: req.id });
    await waitFor(async () => (await alice.listFriends({})).some((f) => f.userId === b.profile.userId && f.state === 'friend'), 'friends');

    const pushed: MessageView[] = [];
    bob.onMessagesChanged((p) => pushed.push(...p.messages));
    const key: ConversationKey = `u:${b.profile.userId}`;
    await alice.sendMessage({ key, text: '你好 Bob, via the web shell' });
    const got = await waitFor(async () => pushed.find((m) => m.text === '你好 Bob, via the web shell'), 'pushed message');
    expect(got).toMatchObject({ outgoing: false, senderId: a.profile.userId, conversationKey: `u:${a.profile.userId}` });

    // Validation happens in the shell, before the core.
    await expect(alice.sendMessage({ key, text: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(alice.login({ username: 'alice', password: 'wrong password' })).rejects.toHaveProperty('code');
  });
});
