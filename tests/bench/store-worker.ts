/**
 * The SQLite store's side of a 1:1 message, alone: no network, no crypto, no
 * protocol. Through the real worker store (`SqliteWorkerStore`, group-fsync)
 * it runs what the server runs per message: the send, the receiver's PUSH_ACK
 * (which makes the delivered receipt) and the sender's PUSH_ACK of the
 * receipt, for 100 pairs of friends, `--per-pair` sends each per round (one
 * group commit). Reports CPU per message of the calling thread (the event
 * loop's share: submitting jobs, settling results) and of the worker thread
 * (the calling thread's from /proc/thread-self/schedstat, the worker's from
 * its own report, `threadCpuSeconds`), and of the rest of the process
 * (V8's platform threads, libuv's pool).
 *
 * The warm-up sends `--warmup-messages` first (default 90,000), so that the
 * worker's row caches are as full as a server's that has run for a while
 * (past their limit, forgetting entries) and the tables are not tiny: a
 * fresh store measured alone hid a cost that grew with the caches (a full
 * map's eviction, sqlite-cache.ts).
 *
 *   npm run bench -- store-worker [--rounds 60] [--per-pair 3] [--repeat 3] [--warmup-messages 90000] [--durability group-fsync|off]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordPushAcks, sendMessage } from '../../server/operations/messages';
import type { DurabilityMode } from '../../server/storage/durability';
import { SqliteStore } from '../../server/storage/sqlite-store';
import { SqliteWorkerStore } from '../../server/storage/sqlite-worker-store';
import { ConversationType } from '../../shared/protocol';

const PAIRS = 100;
const TEXT = 'hello there, this is a message of about a hundred bytes for the benchmark, 你好世界';

/** This thread's CPU time in µs (schedstat: ns on CPU). */
const threadMicros = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1000;
/** The whole process's CPU time in µs (every thread: V8's platform threads and libuv's pool too). */
const processMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(
  rounds: number,
  perPair: number,
  warmupMessages: number,
  durability: DurabilityMode,
): Promise<{ messages: number; eventLoopMicrosPerMessage: number; workerMicrosPerMessage: number; otherThreadsMicrosPerMessage: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-store-'));
  const file = join(dir, 'server.db');
  const setup = SqliteStore.open(file, { durability: 'off' });
  const user = setup.db.prepare("INSERT INTO users (id, username, password_hash, nickname, created_at, updated_at) VALUES (?, ?, 'x', ?, 0, 0)");
  const friend = setup.db.prepare('INSERT INTO friends (user_id, friend_id, state, since) VALUES (?, ?, 1, 0)');
  for (let i = 1; i <= PAIRS * 2; i++) user.run(i, `u${i}`, `u${i}`);
  for (let p = 0; p < PAIRS; p++) {
    friend.run(2 * p + 1, 2 * p + 2);
    friend.run(2 * p + 2, 2 * p + 1);
  }
  await setup.close();
  const store = await SqliteWorkerStore.open(file, { durability });
  let n = 0;
  const round = async (k: number): Promise<number> => {
    const sends = [];
    for (let i = 0; i < k; i++) {
      for (let p = 0; p < PAIRS; p++) {
        // Time-ordered client ids, as the app's UUIDv7s.
        const clientMsgId = `0192f5e6-7a1b-7c3d-8e9f-${String(n++).padStart(12, '0')}`;
        sends.push(store.write(sendMessage, { caller: { userId: 2 * p + 1, sessionId: 1 }, to: { type: ConversationType.DIRECT, id: 2 * p + 2 }, clientMsgId, text: TEXT, replyTo: 0, mentions: [], attachments: null, digests: [] }, Date.now()));
      }
    }
    const results = await Promise.all(sends);
    const acks = results.flatMap((r) => r.pushes.filter((x) => x.userId % 2 === 0).map((x) => ({ userId: x.userId, seq: x.seq })));
    const receipts = await store.write(recordPushAcks, acks, Date.now());
    await store.write(recordPushAcks, receipts.pushes.map((x) => ({ userId: x.userId, seq: x.seq })), Date.now());
    return sends.length;
  };
  // The worker reports its CPU twice a second: wait for a fresh report.
  const workerMicros = async () => (await sleep(700), await round(0), (store.stats().threadCpuSeconds ?? Number.NaN) * 1e6);
  const warmupRounds = Math.max(10, Math.ceil(warmupMessages / (perPair * PAIRS)));
  for (let i = 0; i < warmupRounds; i++) await round(perPair);
  const w0 = await workerMicros();
  const m0 = threadMicros();
  const p0 = processMicros();
  let messages = 0;
  for (let i = 0; i < rounds; i++) messages += await round(perPair);
  const eventLoop = threadMicros() - m0;
  const worker = (await workerMicros()) - w0;
  // The rest of the process: V8's platform threads (concurrent marking, parallel scavenges, compilation) and libuv's pool (WAL syncs).
  const other = processMicros() - p0 - eventLoop - worker;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    messages,
    eventLoopMicrosPerMessage: +(eventLoop / messages).toFixed(1),
    workerMicrosPerMessage: +(worker / messages).toFixed(1),
    otherThreadsMicrosPerMessage: +(other / messages).toFixed(1),
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const value = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
  };
  const rounds = Number(value('--rounds', '60'));
  const perPair = Number(value('--per-pair', '3'));
  const repeat = Number(value('--repeat', '3'));
  const warmupMessages = Number(value('--warmup-messages', '90000'));
  const durability = value('--durability', 'group-fsync') as DurabilityMode;
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const r = await measure(rounds, perPair, warmupMessages, durability);
    console.log(`run ${i + 1}: ${r.messages} messages, event loop ${r.eventLoopMicrosPerMessage} µs, SQLite worker ${r.workerMicrosPerMessage} µs, other threads ${r.otherThreadsMicrosPerMessage} µs per message`);
    runs.push(r);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = {
    eventLoopMicrosPerMessage: median(runs.map((r) => r.eventLoopMicrosPerMessage)),
    workerMicrosPerMessage: median(runs.map((r) => r.workerMicrosPerMessage)),
    otherThreadsMicrosPerMessage: median(runs.map((r) => r.otherThreadsMicrosPerMessage)),
  };
  console.log(`median: event loop ${summary.eventLoopMicrosPerMessage} µs, SQLite worker ${summary.workerMicrosPerMessage} µs, other threads ${summary.otherThreadsMicrosPerMessage} µs per message (load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  return { options: { rounds, perPair, repeat, warmupMessages, durability, pairs: PAIRS }, loadAverage: (await import('node:os')).loadavg(), summary, runs };
}
