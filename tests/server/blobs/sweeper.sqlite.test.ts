/** Cleanup of unreferenced, expired and orphaned blobs, against a real SQLite index and directory. */
import { randomUUID } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobSweeper } from '../../../server/blobs/sweeper';
import { encrypt, startService, tusCreate, tusPatch, type ServiceHarness } from './helpers';

let h: ServiceHarness;
beforeEach(async () => {
  h = await startService();
});
afterEach(async () => {
  await h.close();
});

const HOUR = 3600_000;

async function stored(userId: number, n: number): Promise<string> {
  const file = await encrypt(new Uint8Array(n).fill(n & 0xff));
  const token = h.token({ userId, digest: file.digest, op: 'up', size: file.bytes.length });
  const created = await tusCreate(h.base, token, file.bytes.length, file.digest);
  const res = await tusPatch(new URL(created.headers.get('location')!, h.base).toString(), token, 0, file.bytes);
  expect(res.status).toBe(204);
  return file.digest;
}

/** A message in a direct conversation carrying `digest`, sent at `at`. */
function referTo(digest: string, at: number): number {
  h.db.prepare("INSERT OR IGNORE INTO users (id, username, password_hash, nickname, created_at, updated_at) VALUES (1, 'u1', 'x', 'u1', 0, 0), (2, 'u2', 'x', 'u2', 0, 0)").run();
  h.db.prepare('INSERT OR IGNORE INTO conversations (id, kind, user_lo, user_hi) VALUES (1, 1, 1, 2)').run();
  const seq = (h.db.prepare('SELECT coalesce(max(conv_seq), 0) + 1 FROM messages WHERE conv_id = 1').pluck().get() as number);
  const id = Number(
    h.db.prepare("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, mentions, reply_to, sender_seq) VALUES (1, ?, 1, ?, ?, '', '', 0, 0)").run(seq, randomUUID(), at).lastInsertRowid,
  );
  h.db.prepare('INSERT INTO message_blobs (digest, msg_id) VALUES (?, ?)').run(digest, id);
  return id;
}

function sweeper(retentionMs = 0): BlobSweeper {
  return new BlobSweeper(h.backend, h.index, () => h.service.deleteExpiredUploads(), { unreferencedGraceMs: 24 * HOUR, retentionMs, batch: 100 }, { now: () => h.now.value }, pino({ level: 'silent' }));
}

describe('blob cleanup', () => {
  it('removes blobs no message refers to, once the grace period is over', async () => {
    const lonely = await stored(1, 1000);
    const sent = await stored(1, 2000);
    referTo(sent, h.now.value);
    expect(await sweeper().sweep()).toMatchObject({ unreferenced: 0 });
    h.now.value += 25 * HOUR;
    expect(await sweeper().sweep()).toMatchObject({ unreferenced: 1 });
    expect(await h.index.get(lonely)).toBeUndefined();
    expect(await h.backend.stat(lonely)).toBeUndefined();
    expect(await h.index.get(sent)).toBeDefined();
    expect(await h.backend.stat(sent)).toBeDefined();
  });

  it('a recalled message no longer keeps its blob', async () => {
    const digest = await stored(1, 3000);
    const msg = referTo(digest, h.now.value);
    h.db.prepare('UPDATE messages SET recalled_by = 1 WHERE id = ?').run(msg);
    h.now.value += 25 * HOUR;
    expect(await sweeper().sweep()).toMatchObject({ unreferenced: 1 });
    expect(await h.backend.stat(digest)).toBeUndefined();
  });

  it('with a retention period, removes blobs whose newest message is older', async () => {
    const old = await stored(1, 4000);
    const fresh = await stored(1, 5000);
    referTo(old, h.now.value - 40 * 24 * HOUR);
    referTo(fresh, h.now.value - 40 * 24 * HOUR);
    referTo(fresh, h.now.value - HOUR);
    expect(await sweeper(30 * 24 * HOUR).sweep()).toMatchObject({ expired: 1 });
    expect(await h.index.get(old)).toBeUndefined();
    expect(await h.index.get(fresh)).toBeDefined();
    expect(await sweeper(0).sweep()).toMatchObject({ expired: 0 });
  });

  it('removes files in the backend that have no record, after the grace period', async () => {
    const digest = 'e'.repeat(64);
    mkdirSync(join(h.dir, 'blobs', 'ee'), { recursive: true });
    writeFileSync(join(h.dir, 'blobs', 'ee', digest), 'orphan');
    expect(await sweeper().sweep()).toMatchObject({ orphans: 0 }); // just written: maybe an upload being recorded right now
    h.now.value = Date.now() + 25 * HOUR;
    expect(await sweeper().sweep()).toMatchObject({ orphans: 1 });
    expect(await h.backend.stat(digest)).toBeUndefined();
  });
});
