// Three gateway nodes as child processes on one private PostgreSQL and one private nats-server. Users spread over
// the nodes chat 1:1 and in groups with receipts, presence and typing; a token login on another node kicks the old
// session; and with the real client core (outbox, endpoint rotation, sync): kill -9 of a node during a burst, a NATS
// restart mid-burst and a PostgreSQL restart mid-burst lose nothing and double nothing.
import { fromBinary } from '@bufbuild/protobuf';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionState, ServerEndpoint } from '../../shared/ipc';
import { AttachmentKind, Command, Kicked_Reason, KickedSchema, PresenceSchema, ReceiptType, TypingNoticeSchema } from '../../shared/protocol';
import type { ClientCore } from '../../electron/core/index';
import { encodeKey } from '../../shared/node/noise/keys';
import { cipherSize } from '../../shared/attachments/format';
import { befriend as befriendCores, client, PASSWORD, waitFor, waitOnline } from '../core/helpers/clients';
import { TestClient } from '../server/helpers/client';
import { tempDir, testScrypt } from '../server/helpers/server';
import { befriend, direct, group, sendText } from '../server/helpers/social';
import { startCluster, type Cluster } from '../support/cluster';
import { encrypt, tusCreate, tusOffset, tusPatch } from '../server/blobs/helpers';
import { scrape } from '../bench/lib';

let cluster: Cluster;
let root: string;
const clients: TestClient[] = [];
const cores = new Set<ClientCore>();

beforeAll(async () => {
  root = tempDir('tern-cluster-cores-');
  cluster = await startCluster({
    nodes: 3,
    // fsync off: a restart of PostgreSQL (not of the machine) keeps every commit, and the shared disk stays fast.
    // A long node TTL: on a loaded machine a live node's heartbeat may be late by seconds, and nothing here waits
    // for a dead node to be reaped (tests/cluster/pg-directory.test.ts covers that without waiting).
    postgres: { fsync: false },
    settings: { scrypt: testScrypt, registrationsPerAddress: 100_000, sendBurst: 100_000, nodeTtlMs: 60_000, logLevel: process.env.TERN_TEST_LOG ?? 'warn' },
  });
}, 120_000);

afterEach(async () => {
  for (const c of cores) await c.dispose();
  cores.clear();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A protocol client registered on node `node`. */
async function user(name: string, node: number): Promise<TestClient> {
  const c = await TestClient.connect(cluster.endpoints()[node]!);
  await c.register(name);
  clients.push(c);
  return c;
}

/** The endpoint list starting at node `first` (a client tries them in order). */
function from(first: number): ServerEndpoint[] {
  const eps = cluster.endpoints();
  return eps.map((_, k) => eps[(first + k) % eps.length]!).map((e) => ({ host: e.host, port: e.port, publicKey: encodeKey(e.publicKey) }));
}

const fast = { backoffInitialMs: 200, backoffMaxMs: 1000, connectTimeoutMs: 3000 };

async function core(name: string, first: number): Promise<ClientCore> {
  const c = await client(root, name, from(first), fast);
  cores.add(c);
  await c.register({ username: name, password: PASSWORD });
  await waitOnline(c, `${name} online`);
  return c;
}

async function userId(c: ClientCore): Promise<number> {
  return (await c.getSession({}))!.profile.userId;
}

/**
 * Waits until every message `sender` sent is acknowledged, then checks `receiver` has each exactly once. (Not
 * their order: the outbox keeps several sends in flight, and on PostgreSQL concurrent sends commit in any order.)
 */
async function expectExactlyOnce(sender: ClientCore, receiver: ClientCore, texts: string[]): Promise<void> {
  const to = `u:${await userId(receiver)}` as const;
  const back = `u:${await userId(sender)}` as const;
  const acked = (s: string) => s === 'sent' || s === 'delivered' || s === 'read';
  await waitFor(async () => (await sender.loadMessages({ key: to, limit: 500 })).messages.filter((m) => acked(m.status)).length === texts.length, 'every message acknowledged', 60_000);
  await waitFor(async () => (await receiver.loadMessages({ key: back, limit: 500 })).messages.length >= texts.length, 'every message delivered', 60_000);
  await new Promise((r) => setTimeout(r, 300)); // anything doubled would show up now
  const got = await receiver.loadMessages({ key: back, limit: 500 });
  const sorted = [...texts].sort();
  expect(got.messages.map((m) => m.text).sort()).toEqual(sorted);
  expect(new Set(got.messages.map((m) => m.serverId)).size).toBe(texts.length);
  const mine = await sender.loadMessages({ key: to, limit: 500 });
  expect(mine.messages.map((m) => m.text).sort()).toEqual(sorted);
  expect(mine.messages.every((m) => acked(m.status))).toBe(true);
}

describe('three nodes', () => {
  it('users on different nodes chat 1:1 and in a group, with receipts, typing and presence', async () => {
    const alice = await user('alice', 0);
    const bob = await user('bob', 1);
    const carol = await user('carol', 2);
    await befriend(alice, bob);
    await befriend(alice, carol);
    await befriend(bob, carol);

    // 1:1 from node 0 to node 1; bob's device acknowledges the push: alice hears "delivered", then "read".
    const ack = await sendText(alice, direct(bob), 'hi bob 你好');
    const msg = await bob.waitEvent('message', (m) => m.msgId === ack.msgId);
    expect(msg.text).toBe('hi bob 你好');
    await alice.waitEvent('receipt', (r) => r.type === ReceiptType.DELIVERED && r.upToConvSeq === ack.convSeq && Number(r.userId) === bob.userId);
    await bob.call(Command.MARK_READ, { conversation: direct(alice), upToConvSeq: ack.convSeq });
    await alice.waitEvent('receipt', (r) => r.type === ReceiptType.READ && r.upToConvSeq === ack.convSeq);

    // Typing from node 2 to node 0.
    await carol.call(Command.TYPING, { conversation: direct(alice), typing: true });
    const typing = await alice.waitPush((p) => p.command === Command.TYPING_PUSH);
    expect(fromBinary(TypingNoticeSchema, typing.payload)).toMatchObject({ userId: BigInt(carol.userId), typing: true });

    // A group across the three nodes.
    const info = await alice.call(Command.GROUP_CREATE, { name: '三个节点', memberIds: [BigInt(bob.userId), BigInt(carol.userId)] });
    await Promise.all([bob, carol].map((c) => c.waitEvent('group', (g) => g.groupId === info.groupId)));
    const gack = await sendText(carol, group(info.groupId), 'hello group');
    for (const c of [alice, bob]) expect((await c.waitEvent('message', (m) => m.msgId === gack.msgId)).text).toBe('hello group');

    // Presence: the directory says who is online on any node; carol leaving node 2 reaches alice and bob elsewhere.
    const list = await alice.call(Command.PRESENCE_QUERY, { userIds: [BigInt(bob.userId), BigInt(carol.userId)] });
    expect(list.presences.map((p) => p.online)).toEqual([true, true]);
    const offline = (c: TestClient) => c.waitPush((p) => p.command === Command.PRESENCE_PUSH && fromBinary(PresenceSchema, p.payload).userId === BigInt(carol.userId) && !fromBinary(PresenceSchema, p.payload).online);
    await carol.close();
    await Promise.all([offline(alice), offline(bob)]);
    const back = await TestClient.connect(cluster.endpoints()[1]!);
    clients.push(back);
    await back.loginPassword('carol');
    await alice.waitPush((p) => p.command === Command.PRESENCE_PUSH && fromBinary(PresenceSchema, p.payload).userId === BigInt(carol.userId) && fromBinary(PresenceSchema, p.payload).online);
    const after = await bob.call(Command.PRESENCE_QUERY, { userIds: [BigInt(carol.userId)] });
    expect(after.presences[0]!.online).toBe(true);
  });

  it('a token login on another node kicks the old session of that device', async () => {
    const dave = await user('dave', 0);
    const erin = await user('erin', 2);
    await befriend(dave, erin);
    const again = await TestClient.connect(cluster.endpoints()[1]!);
    clients.push(again);
    const relogin = await again.call(Command.LOGIN, { username: 'dave', credential: { case: 'deviceToken', value: dave.login!.deviceToken }, device: { deviceId: dave.deviceId, deviceName: 'dave laptop' }, kickOtherSessions: false });
    const kicked = await dave.waitPush((p) => p.command === Command.KICKED);
    expect(fromBinary(KickedSchema, kicked.payload)).toMatchObject({ reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'dave laptop' });
    await dave.closedPromise;
    const ack = await sendText(erin, direct(Number(relogin.userId)), 'still here?');
    await again.waitEvent('message', (m) => m.msgId === ack.msgId);
  });

  it('an attachment uploaded through one node resumes through another and downloads through a third', async () => {
    const alice = await user('att_alice', 0);
    const bob = await user('att_bob', 1);
    const carol = await user('att_carol', 2);
    await befriend(alice, bob);
    const content = new Uint8Array(300_000).map((_, i) => (i * 7 + 3) & 0xff);
    const file = await encrypt(content);
    const auth = await alice.call(Command.BLOB_UPLOAD_AUTH, { digest: file.digest, cipherSize: BigInt(file.bytes.length), plainSize: BigInt(content.length) });
    const node0 = new URL(auth.uploadUrl).origin;
    expect((await tusCreate(node0, auth.token, file.bytes.length, file.digest)).status).toBe(201);
    const half = 150_000;
    expect((await tusPatch(auth.resumeUrl, auth.token, 0, file.bytes.subarray(0, half))).status).toBe(204);
    // Node 0 goes away from this client's view: the rest goes to node 2's blob service, same upload, same token.
    const node2 = new URL((await carol.call(Command.BLOB_UPLOAD_AUTH, { digest: 'e'.repeat(64), cipherSize: BigInt(cipherSize(900)), plainSize: 900n })).uploadUrl).origin;
    expect(node2).not.toBe(node0);
    const elsewhere = auth.resumeUrl.replace(node0, node2);
    expect((await tusOffset(elsewhere, auth.token)).headers.get('upload-offset')).toBe(String(half));
    expect((await tusPatch(elsewhere, auth.token, half, file.bytes.subarray(half))).status).toBe(204);

    const ack = await alice.call(Command.MESSAGE_SEND, {
      to: direct(bob),
      clientMsgId: randomUUID(),
      text: '',
      attachments: [{ kind: AttachmentKind.FILE, blob: { digest: file.digest, cipherSize: BigInt(file.bytes.length), key: file.key }, size: BigInt(content.length), name: '报告.bin', mime: 'application/octet-stream' }],
    });
    const got = (await bob.waitEvent('message', (m) => m.msgId === ack.msgId)).attachments[0]!;
    const download = await bob.call(Command.BLOB_DOWNLOAD_AUTH, { digest: got.blob!.digest });
    expect(new URL(download.url).origin).not.toBe(node0);
    const res = await fetch(download.url, { headers: { Authorization: `Bearer ${download.token}` } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(file.bytes))).toBe(true);
  });

  it('kill -9 of a node during a burst: its clients move to the other nodes and every acknowledged message arrives exactly once', async () => {
    const s1 = await core('kill_s1', 1); // on the node that dies
    const r1 = await core('kill_r1', 2);
    const s2 = await core('kill_s2', 0);
    const r2 = await core('kill_r2', 1); // receiving on the node that dies
    await befriendCores(s1, r1);
    await befriendCores(s2, r2);
    const [k1, k2] = [`u:${await userId(r1)}`, `u:${await userId(r2)}`] as const;
    const texts = Array.from({ length: 40 }, (_, i) => `burst ${i} 消息`);
    for (let i = 0; i < texts.length; i++) {
      await s1.sendMessage({ key: k1, text: texts[i]! });
      await s2.sendMessage({ key: k2, text: texts[i]! });
      if (i === 15) await cluster.kill(1, 'SIGKILL');
    }
    await expectExactlyOnce(s1, r1, texts);
    await expectExactlyOnce(s2, r2, texts);
    const victim = `127.0.0.1:${cluster.nodes[1]!.port}`;
    expect((await s1.getConnectionStatus({})).endpoint).not.toBe(victim);
    expect((await r2.getConnectionStatus({})).endpoint).not.toBe(victim);
    await cluster.restart(1);
  });

  it('a NATS restart mid-burst loses nothing: clients stay connected and catch up from the store', async () => {
    const s = await core('nats_s', 0);
    const r = await core('nats_r', 2);
    await befriendCores(s, r);
    const states: ConnectionState[] = [];
    r.on('connectionState', (st) => states.push(st.state));
    const key = `u:${await userId(r)}` as const;
    const texts = Array.from({ length: 40 }, (_, i) => `nats ${i}`);
    for (let i = 0; i < texts.length; i++) {
      await s.sendMessage({ key, text: texts[i]! });
      if (i === 10) await cluster.nats.kill();
      if (i === 25) await cluster.nats.start();
    }
    await expectExactlyOnce(s, r, texts);
    // Not a reconnect-and-sync: the receiver's connection never dropped; the resync after the bus came back did it.
    expect(states).not.toContain('offline');
    const resyncs = await Promise.all(cluster.nodes.map(async (n) => (await scrape(n.metricsPort)).get('tern_bus_resyncs_total') ?? 0));
    expect(resyncs.every((n) => n >= 1)).toBe(true);
  });

  it('a PostgreSQL restart mid-burst: sends are refused as UNAVAILABLE (never acknowledged), retried, and stored once', async () => {
    const s = await core('pg_s', 0);
    const r = await core('pg_r', 1);
    await befriendCores(s, r);
    const key = `u:${await userId(r)}` as const;
    const texts = Array.from({ length: 30 }, (_, i) => `pg ${i}`);
    let acksWhileDown = -1;
    for (let i = 0; i < texts.length; i++) {
      await s.sendMessage({ key, text: texts[i]! });
      if (i === 10) await cluster.postgres!.stop({ mode: 'fast' });
      if (i === 20) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        // While the database is down nothing sent after it went is acknowledged.
        const page = await s.loadMessages({ key, limit: 100 });
        acksWhileDown = page.messages.slice(11).filter((m) => m.status !== 'pending').length;
        await cluster.postgres!.start();
      }
    }
    expect(acksWhileDown).toBe(0);
    await expectExactlyOnce(s, r, texts);
    const refused = await Promise.all(cluster.nodes.map(async (n) => (await scrape(n.metricsPort)).get('tern_errors_total{code="UNAVAILABLE"}') ?? 0));
    expect(refused.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});

