/**
 * The invariant checker can fail: each kind of damage a fault could do is
 * planted in a real cache file (a second SQLite connection writes it, as a
 * bug in the core would) or in a sender's ledger, and must be reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World } from './support/world';
import { waitFor } from '../support/wait';
import { openCacheFile, type CacheConnection } from '../support/cache-file';

let world: World;

beforeAll(async () => {
  world = await World.create({ name: 'inv', participants: 3, seed: 7 });
  await world.p(0).send(world.direct(0, 1), 'one');
  await world.p(0).send(world.direct(0, 1), 'two');
  await world.p(1).send(world.groupKey, 'three');
  await world.settle();
});

afterAll(async () => {
  await world?.dispose();
});

function cache(i: number): CacheConnection {
  const p = world.p(i);
  const db = openCacheFile(p.dataDir, p.userId);
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Runs `damage` on participant i's cache, checks, then undoes it with `repair`. */
async function planted(i: number, damage: string, repair: string, params: unknown[] = []): Promise<string[]> {
  const db = cache(i);
  try {
    db.prepare(damage).run(...params);
    return await world.check({ allowFailed: false });
  } finally {
    db.prepare(repair).run();
    db.close();
  }
}

describe('the invariant checker', () => {
  it('passes on a healthy world', async () => {
    expect(await world.check({ allowFailed: false })).toEqual([]);
    expect(await world.checkAll({ allowFailed: false, freshDevice: 1 })).toEqual([]);
  });

  it('reports a message missing from a recipient', async () => {
    const db = cache(1);
    const row = db.prepare(`SELECT * FROM messages WHERE text = 'two'`).get() as Record<string, unknown>;
    db.prepare(`DELETE FROM messages WHERE text = 'two'`).run();
    try {
      const problems = await world.check({ allowFailed: false });
      expect(problems.join('\n')).toMatch(/has 0 copies of .*"two"/);
    } finally {
      const cols = Object.keys(row);
      db.prepare(`INSERT INTO messages (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...cols.map((c) => row[c]));
      db.close();
    }
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });

  it('reports a doubled message (another id, same content)', async () => {
    const problems = await planted(
      2,
      `INSERT INTO messages (id, conv, sort_key, server_id, conv_seq, sender_id, client_msg_id, outgoing, text, sent_at, status)
         SELECT 'dup-' || id, conv, sort_key + 1000, server_id + 100000, conv_seq + 1000, sender_id, 'dup', outgoing, text, sent_at, status FROM messages WHERE text = 'three'`,
      `DELETE FROM messages WHERE id LIKE 'dup-%'`,
    );
    expect(problems.join('\n')).toMatch(/2 copies/);
    expect(problems.join('\n')).toMatch(/a hole/);
  });

  it('reports an unread count that disagrees with the messages', async () => {
    const problems = await planted(1, `UPDATE conversations SET unread = unread + 3 WHERE key LIKE 'u:%'`, `UPDATE conversations SET unread = unread - 3 WHERE key LIKE 'u:%'`);
    expect(problems.join('\n')).toMatch(/unread shown \d+, stored \d+, counted from messages \d+/);
  });

  it('reports a message the sender saw acknowledged that is pending in its cache, and one that vanished', async () => {
    const p = world.p(0);
    p.sent.push({ id: '019a0000-0000-7000-8000-000000000000', key: world.direct(0, 1), text: 'never stored' });
    try {
      expect((await world.check()).join('\n')).toMatch(/vanished from its cache/);
    } finally {
      p.sent.pop();
    }
    const problems = await planted(0, `UPDATE messages SET status = 'pending' WHERE text = 'one'`, `UPDATE messages SET status = 'sent' WHERE text = 'one'`);
    expect(problems.join('\n')).toMatch(/ended pending/);
  });

  it('reports a message nobody sent, and a fresh device that disagrees with the cache', async () => {
    const db = cache(1);
    const conv = (db.prepare(`SELECT conv FROM messages WHERE text = 'one'`).get() as { conv: string }).conv;
    db.close();
    const problems = await planted(
      1,
      `INSERT INTO messages (id, conv, sort_key, server_id, conv_seq, sender_id, client_msg_id, outgoing, text, sent_at, status)
         VALUES ('ghost', ?, 3, 999999, 3, ?, 'ghost', 0, 'ghost', 0, 'sent')`,
      `DELETE FROM messages WHERE id = 'ghost'`,
      [conv, world.p(0).userId],
    );
    expect(problems.join('\n')).toMatch(/a message nobody sent/);
    // The fresh-device comparison: drop a message from the long-lived cache only.
    const dbw = cache(1);
    const row = dbw.prepare(`SELECT * FROM messages WHERE text = 'one'`).get() as Record<string, unknown>;
    dbw.prepare(`DELETE FROM messages WHERE text = 'one'`).run();
    try {
      const fresh = await world.checkAll({ allowFailed: false, freshDevice: 1 });
      expect(fresh.join('\n')).toMatch(/a fresh device sees/);
    } finally {
      const cols = Object.keys(row);
      dbw.prepare(`INSERT INTO messages (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...cols.map((c) => row[c]));
      dbw.close();
    }
    await waitFor(async () => (await world.check({ allowFailed: false })).length === 0, 'healthy again');
  });
});
