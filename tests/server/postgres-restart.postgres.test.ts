// The PostgreSQL counterpart of the crash test: PostgreSQL itself dies (immediate stop: no shutdown checkpoint, crash
// recovery on the next start) during a burst of sends. Sends in flight fail with the retryable UNAVAILABLE (never an
// ack that is not true); the senders retry with the same client ids, as the app's outbox does, until acknowledged;
// every message is then stored exactly once, under the id its ack named. The server process keeps running throughout.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { Command, ResultCode, SyncDomain } from '../../shared/protocol';
import { startPostgres, type PostgresInstance } from '../support/postgres';
import { RequestError, type TestClient } from './helpers/client';
import { removeDir, startTestServer, type TestServer } from './helpers/server';
import { befriend, direct, sendText } from './helpers/social';

let pg: PostgresInstance | undefined;
let server: TestServer | undefined;
const clients: TestClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
  if (server) removeDir(server.dataDir);
  await pg?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a PostgreSQL crash mid-burst: sends fail retryably, retries store each message exactly once', async () => {
  pg = await startPostgres({ fsync: false });
  const db = await pg.createDatabase('restart');
  server = await startTestServer({ store: db.url, sendBurst: 100_000, sendPerMinute: 6_000_000 }); // a burst, not abuse
  const sink = await server.user('sink');
  clients.push(sink);
  const senders: TestClient[] = [];
  for (let i = 0; i < 4; i++) {
    const s = await server.user(`sender${i}`);
    clients.push(s);
    await befriend(s, sink);
    senders.push(s);
  }

  const acked = new Map<string, bigint>(); // client id -> msg id from its ack
  const failures = new Map<number, number>(); // result code -> count
  let stop = false;
  // Each lane sends one message at a time and retries it (same client id) until it is acknowledged.
  const lane = async (sender: TestClient) => {
    while (!stop) {
      const id = randomUUID();
      for (;;) {
        try {
          const ack = await sendText(sender, direct(sink), `burst ${id}`, { clientMsgId: id });
          acked.set(id, ack.msgId);
          break;
        } catch (err) {
          if (!(err instanceof RequestError)) throw err;
          failures.set(err.code, (failures.get(err.code) ?? 0) + 1);
          await sleep(Math.min(err.detail.retryAfterMs, 200));
        }
      }
    }
  };
  const lanes = senders.flatMap((s) => Array.from({ length: 8 }, () => lane(s)));

  while (acked.size < 200) await sleep(5);
  await pg.stop({ mode: 'immediate' });
  const ackedAtCrash = acked.size;
  await sleep(1000); // sends keep coming and failing while the database is down
  expect(acked.size - ackedAtCrash).toBeLessThanOrEqual(32); // at most those already past COMMIT when it died
  await pg.start();
  while (acked.size < ackedAtCrash + 200) await sleep(5);
  stop = true;
  await Promise.all(lanes);

  // The outage was seen, and only as UNAVAILABLE: no INTERNAL, no lost ack.
  expect(failures.get(ResultCode.UNAVAILABLE) ?? 0).toBeGreaterThan(0);
  expect([...failures.keys()]).toEqual([ResultCode.UNAVAILABLE]);

  const stored = new Map<string, bigint[]>();
  let cursor = 0n;
  for (;;) {
    const page = await sink.call(Command.SYNC, { cursor, limit: 1000, domains: [SyncDomain.MESSAGES] });
    for (const e of page.events) {
      if (e.event.case !== 'message') continue;
      const m = e.event.value;
      stored.set(m.clientMsgId, [...(stored.get(m.clientMsgId) ?? []), m.msgId]);
    }
    cursor = page.nextCursor;
    if (!page.hasMore) break;
  }
  expect(stored.size).toBe(acked.size);
  for (const [id, msgId] of acked) expect(stored.get(id), `message ${id}`).toEqual([msgId]);
}, 120_000);
