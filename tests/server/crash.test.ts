// Crash safety, on either store: SIGKILL the server during a burst of sends. After a restart every message whose ack a sender saw is
// stored exactly once, and resending everything (acked or not) with the same client ids creates no duplicates.
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Command, SyncDomain } from '../../shared/protocol';
import { TestClient } from './helpers/client';
import { spawnServer } from './helpers/process';
import { removeDir, tempDir, testScrypt } from './helpers/server';
import { freshStore, storeEnv, testStore } from './helpers/store';
import { befriend, direct, sendText } from './helpers/social';
import { waitFor } from '../support/wait';

const data = tempDir();
const configFile = `${data}.json`;
afterAll(() => {
  removeDir(data);
  removeDir(configFile);
});

it('every acknowledged message survives SIGKILL exactly once', async () => {
  // A burst from few accounts: lift the per-account send rate (server/limits) out of the way.
  writeFileSync(configFile, JSON.stringify({ scrypt: testScrypt, logLevel: 'warn', sendBurst: 1_000_000, sendPerMinute: 60_000_000 }));
  const args = ['--port', '0', '--data', data, '--config', configFile];
  const env = storeEnv(await freshStore('crash'));
  const first = await spawnServer(args, env);
  // The store under test is the one the project names (no tern.db when it is PostgreSQL).
  expect(existsSync(join(data, 'tern.db'))).toBe(testStore === 'sqlite');
  const sink = await TestClient.connect(first);
  await sink.register('sink');
  sink.autoAck = false;
  const senders: TestClient[] = [];
  for (let i = 0; i < 4; i++) {
    const s = await TestClient.connect(first);
    await s.register(`sender${i}`);
    await befriend(s, sink);
    senders.push(s);
  }

  // Each sender keeps 16 sends in flight until the connection dies.
  const acked = new Map<string, bigint>(); // client id -> msg id
  const attempted: Array<{ sender: number; id: string }> = [];
  let killed = false;
  const pump = async (index: number) => {
    const sender = senders[index]!;
    const lane = async () => {
      while (!killed && !sender.closed) {
        const id = randomUUID();
        attempted.push({ sender: index, id });
        try {
          const ack = await sendText(sender, direct(sink), `burst ${id}`, { clientMsgId: id });
          acked.set(id, ack.msgId);
        } catch {
          return; // connection gone
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, lane));
  };
  const pumps = senders.map((_, i) => pump(i));
  // Kill once a good number of acks is in, mid-burst.
  await waitFor(() => acked.size >= 300 || senders.every((s) => s.closed), 'at least 300 acks before the kill', 30_000);
  expect(acked.size).toBeGreaterThanOrEqual(300);
  first.child.kill('SIGKILL');
  killed = true;
  expect(await first.exited).toBe('SIGKILL');
  await Promise.all(pumps);
  const ackedAtKill = new Map(acked);
  expect(attempted.length).toBeGreaterThan(ackedAtKill.size); // some were in flight, unacknowledged

  const second = await spawnServer(args, env);
  const reader = await TestClient.connect(second);
  await reader.loginPassword('sink');
  const stored = new Map<string, number>();
  const ids = new Map<string, bigint>();
  let cursor = 0n;
  for (;;) {
    const page = await reader.call(Command.SYNC, { cursor, limit: 1000, domains: [SyncDomain.MESSAGES] });
    for (const e of page.events) {
      if (e.event.case !== 'message') continue;
      const m = e.event.value;
      stored.set(m.clientMsgId, (stored.get(m.clientMsgId) ?? 0) + 1);
      ids.set(m.clientMsgId, m.msgId);
    }
    cursor = page.nextCursor;
    if (!page.hasMore) break;
  }
  for (const [id, msgId] of ackedAtKill) {
    expect(stored.get(id), `acked message ${id}`).toBe(1);
    expect(ids.get(id)).toBe(msgId);
  }
  for (const count of stored.values()) expect(count).toBe(1);

  // The senders' outboxes resend everything they attempted: acked ones come back as duplicates with the original id.
  const resenders = await Promise.all(senders.map(async (_, i) => {
    const c = await TestClient.connect(second);
    await c.loginPassword(`sender${i}`);
    return c;
  }));
  for (const { sender, id } of attempted) {
    const ack = await sendText(resenders[sender]!, direct(reader.userId), `burst ${id}`, { clientMsgId: id });
    if (ackedAtKill.has(id)) {
      expect(ack.duplicate).toBe(true);
      expect(ack.msgId).toBe(ackedAtKill.get(id));
    } else {
      expect(ack.duplicate).toBe(stored.has(id)); // committed but the ack was lost: still the original
    }
  }
  const total = new Set<string>();
  cursor = 0n;
  for (;;) {
    const page = await reader.call(Command.SYNC, { cursor, limit: 1000, domains: [SyncDomain.MESSAGES] });
    for (const e of page.events) if (e.event.case === 'message') {
      expect(total.has(e.event.value.clientMsgId)).toBe(false);
      total.add(e.event.value.clientMsgId);
    }
    cursor = page.nextCursor;
    if (!page.hasMore) break;
  }
  expect(total.size).toBe(attempted.length);
  await Promise.all([reader.close(), ...resenders.map((c) => c.close())]);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, 60_000);
