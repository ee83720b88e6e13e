/** Two clients against a real server over loopback, with real cache files. */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEndpoint } from '../../shared/ipc';
import type { ClientCore } from '../../electron/client/index';
import { befriend, client, PASSWORD, record, waitFor } from './helpers/clients';
import { inProcessServer, tempDir } from './helpers/server';

let root: string;
let close: () => Promise<void>;
let endpoint: ServerEndpoint;
const cores: ClientCore[] = [];

beforeAll(async () => {
  root = tempDir('converse');
  const s = await inProcessServer();
  endpoint = s.endpoint;
  close = async () => {
    await s.server.close();
    rmSync(s.dataDir, { recursive: true, force: true });
  };
});

afterAll(async () => {
  for (const c of cores) await c.dispose();
  await close();
  rmSync(root, { recursive: true, force: true });
});

async function make(name: string): Promise<ClientCore> {
  const c = await client(root, name, [endpoint]);
  cores.push(c);
  return c;
}

describe('two clients converse', () => {
  it('register, befriend, exchange messages with acks, receipts and search', async () => {
    const alice = await make('alice');
    const bob = await make('bob');
    const aliceSession = await alice.register({ username: 'alice', password: PASSWORD, nickname: 'Alice' });
    const bobSession = await bob.register({ username: 'bob', password: PASSWORD });
    expect(aliceSession.profile.nickname).toBe('Alice');
    await waitFor(async () => (await alice.getConnectionStatus({})).state === 'online', 'alice online');
    await befriend(alice, bob);

    const bobChanges = record(bob, 'messagesChanged');
    const key = `u:${bobSession.profile.userId}` as const;
    const sent = await alice.sendMessage({ key, text: '你好，鲍勃！今天天气很好' });
    expect(sent.status).toBe('pending');
    await waitFor(async () => (await alice.loadMessages({ key })).messages.find((m) => m.id === sent.id && m.status !== 'pending'), 'ack');

    const backKey = `u:${aliceSession.profile.userId}` as const;
    const got = await waitFor(async () => (await bob.loadMessages({ key: backKey })).messages[0], 'bob receives');
    expect(got).toMatchObject({ text: '你好，鲍勃！今天天气很好', outgoing: false, senderId: aliceSession.profile.userId });
    expect(bobChanges.flatMap((c) => c.messages).some((m) => m.id === got.id)).toBe(true);
    const conv = await bob.getConversation({ key: backKey });
    expect(conv?.unread).toBe(1);

    // Receipts flow back: delivered, then read once bob reads it.
    await bob.markRead({ key: backKey });
    expect((await bob.getConversation({ key: backKey }))?.unread).toBe(0);
    await waitFor(async () => (await alice.loadMessages({ key })).messages.find((m) => m.id === sent.id)?.status === 'read', 'read receipt');

    const reply = await bob.sendMessage({ key: backKey, text: 'Hi Alice, see https://example.com/tern-docs' });
    await waitFor(async () => (await alice.loadMessages({ key })).messages.some((m) => m.serverId !== undefined && m.text.includes('example.com')), 'alice receives reply');
    void reply;

    // Chinese search end to end (both phrase and a two-character word).
    const hits = await bob.searchMessages({ query: '天气' });
    expect(hits.map((h) => h.conversationKey)).toEqual([backKey]);
    expect(hits[0]!.snippet.some((p) => p.hit && p.text.includes('天气'))).toBe(true);
    expect((await alice.searchMessages({ query: 'tern' })).length).toBe(1);

    const list = await alice.listConversations({});
    expect(list.items[0]).toMatchObject({ key, type: 'direct' });
  });
});
