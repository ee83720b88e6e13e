// PostgreSQL sequences from the logs (migration 10): two stores on one database (two gateway nodes) sending at once
// between the same users get every user's and every conversation's sequence without a gap or a repeat, each message's
// events carry its sender's and receivers' numbers; and a batch of sends writes no counter, taking each lock once.
// Conversation rows are remembered once committed, never when their transaction rolls back.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationType, FriendState } from '../../shared/protocol';
import { register } from '../../server/operations/accounts';
import { recordPushAcks, sendMessage, type SendArgs } from '../../server/operations/messages';
import { readOperation, writeOperation } from '../../server/operations/operation';
import { PostgresStore } from '../../server/storage/postgres-store';
import { freshStore } from './helpers/store';

let url: string;
let nodes: PostgresStore[];
let admin: pg.Pool;

beforeAll(async () => {
  url = await freshStore('sequences');
  nodes = [await PostgresStore.open(url, { poolSize: 4 }), await PostgresStore.open(url, { poolSize: 4 })];
  admin = new pg.Pool({ connectionString: url, max: 2 });
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await admin.end();
});

async function account(name: string): Promise<{ id: number; syncHead: number }> {
  const args = { username: name, passwordHash: 'h', nickname: name, deviceId: 'd', deviceName: 'd', platform: '', tokenHash: Uint8Array.of(1) };
  const { value } = await nodes[0]!.write(register, args, 1);
  return { id: value.user.id, syncHead: value.syncHead };
}

const befriend = writeOperation('test.befriend', async ({ tx }, a: { x: number; y: number }) => {
  await tx.friends.set(a.x, a.y, FriendState.FRIEND, 1);
  await tx.friends.set(a.y, a.x, FriendState.FRIEND, 1);
});

let n = 0;
const sendArgs = (from: number, to: number): SendArgs => ({
  caller: { userId: from, sessionId: 1 },
  to: { type: ConversationType.DIRECT, id: to },
  clientMsgId: `c${++n}`,
  text: 'hi',
  replyTo: 0,
  mentions: [],
  attachments: null,
  digests: [],
});

const head = readOperation('test.head', ({ tx }, userId: number) => tx.sequences.head(userId));

describe('PostgreSQL sequences from the logs', () => {
  it('a registration answers the head its profile event got', async () => {
    const a = await account('seq-reg');
    expect(a.syncHead).toBe(1);
    expect((await admin.query('SELECT seq FROM events WHERE user_id = $1', [a.id])).rows).toEqual([{ seq: '1' }]);
  });

  it('two nodes sending at once between the same users: gap-free, unique sequences per user and conversation', async () => {
    const [a, b, c] = [await account('seq-a'), await account('seq-b'), await account('seq-c')];
    for (const [x, y] of [[a, b], [b, c], [a, c]] as const) await nodes[0]!.write(befriend, { x: x.id, y: y.id }, 1);
    const routes: Array<[number, number]> = [[a.id, b.id], [b.id, a.id], [b.id, c.id], [c.id, a.id], [a.id, c.id], [c.id, b.id]];
    const results = await Promise.all(
      Array.from({ length: 240 }, (_, i) => {
        const [from, to] = routes[i % routes.length]!;
        return nodes[i % 2]!.write(sendMessage, sendArgs(from, to), 2);
      }),
    );
    // Receipts too: each receiver acknowledges its pushes through the other node.
    const acks = results.flatMap((r) => r.pushes.filter((p) => p.skipSession === undefined).map((p) => ({ userId: p.userId, seq: p.seq })));
    await Promise.all([a, b, c].map((u, i) => nodes[(i + 1) % 2]!.write(recordPushAcks, acks.filter((x) => x.userId === u.id), 3)));
    for (const user of [a, b, c]) {
      const seqs = (await admin.query<{ seq: string }>('SELECT seq FROM events WHERE user_id = $1 ORDER BY seq', [user.id])).rows.map((r) => Number(r.seq));
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      expect(await nodes[1]!.read(head, user.id, 4)).toBe(seqs.length);
    }
    const convs = (await admin.query<{ conv_id: string; seqs: string[] }>('SELECT conv_id, array_agg(conv_seq ORDER BY conv_seq) AS seqs FROM messages GROUP BY conv_id')).rows;
    expect(convs).toHaveLength(3);
    for (const conv of convs) expect(conv.seqs.map(Number)).toEqual(Array.from({ length: conv.seqs.length }, (_, i) => i + 1));
    // Each message is in its sender's log at the number its ack gave, and once in its receiver's.
    const sent = (await admin.query<{ n: string }>(
      `SELECT count(*) AS n FROM messages m
       JOIN events s ON s.user_id = m.sender_id AND s.seq = m.sender_seq AND s.ref = m.id
       JOIN conversations c ON c.id = m.conv_id
       JOIN events r ON r.user_id = (CASE WHEN c.user_lo = m.sender_id THEN c.user_hi ELSE c.user_lo END) AND r.ref = m.id`,
    )).rows[0]!;
    expect(Number(sent.n)).toBe(240);
    for (const r of results) expect(r.value.duplicate).toBe(false);
    // No run was retried: a head read before its lock was granted would have collided (unique violation, retried).
    expect(nodes.map((node) => node.retries)).toEqual([0, 0]);
  });

  it('a batch of sends writes no sequence counter and takes each lock once', async () => {
    const [a, b] = [await account('seq-batch-a'), await account('seq-batch-b')];
    await nodes[0]!.write(befriend, { x: a.id, y: b.id }, 1);
    await nodes[0]!.write(sendMessage, sendArgs(a.id, b.id), 2); // creates the conversation
    const seen: string[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0] as string | { name?: string; text: string };
      seen.push(typeof q === 'string' ? q : (q.name ?? q.text));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await Promise.all(Array.from({ length: 20 }, () => nodes[0]!.write(sendMessage, sendArgs(a.id, b.id), 2)));
    } finally {
      pg.Client.prototype.query = original;
    }
    const count = (name: string) => seen.filter((s) => s === name).length;
    const transactions = count('BEGIN');
    expect(transactions).toBeGreaterThan(0);
    expect(count('COMMIT')).toBe(transactions);
    // Per transaction: the conversation's lock and the two users' (one statement), each head read once.
    expect(count('locks.take')).toBe(2 * transactions);
    expect(count('convs.head')).toBe(transactions);
    expect(count('seqs.heads')).toBe(transactions);
    expect(count('messages.insert')).toBe(20);
    // The conversation row is known from the first send (rows never change once they exist).
    expect(count('convs.direct')).toBe(0);
    expect(seen.filter((s) => /^(convs\.next|seqs\.allocate)$|UPDATE conversations|user_seqs/.test(s))).toEqual([]);
  });

  it('a conversation created by a transaction that rolls back is not remembered', async () => {
    const [a, b] = [await account('conv-rollback-a'), await account('conv-rollback-b')];
    const createThenFail = writeOperation('test.createThenFail', async ({ tx }, _: null) => {
      const conv = await tx.conversations.ensureDirect(a.id, b.id);
      // A message in a conversation that does not exist: a foreign-key violation, and the transaction rolls back.
      await tx.messages.insert({ conv_id: conv.id + 1_000_000, conv_seq: 1, sender_id: a.id, client_msg_id: 'x', sent_at: 1, text: '', mentions: '', reply_to: 0, sender_seq: 1, attachments: null });
    });
    await expect(nodes[0]!.write(createThenFail, null, 1)).rejects.toThrow(/foreign key/);
    const direct = readOperation('test.direct', ({ tx }, _: null) => tx.conversations.direct(a.id, b.id));
    expect(await nodes[0]!.read(direct, null, 2)).toBeUndefined();
    // Created for good: remembered, on the node that read it, without asking the database again.
    await nodes[0]!.write(writeOperation('test.create', async ({ tx }, _: null) => tx.conversations.ensureDirect(a.id, b.id)), null, 3);
    const row = await nodes[0]!.read(direct, null, 4);
    expect(row).toMatchObject({ user_lo: Math.min(a.id, b.id), user_hi: Math.max(a.id, b.id) });
    await admin.query('ALTER TABLE conversations RENAME TO conversations_away');
    try {
      expect(await nodes[0]!.read(direct, null, 5)).toEqual(row);
    } finally {
      await admin.query('ALTER TABLE conversations_away RENAME TO conversations');
    }
  });
});
