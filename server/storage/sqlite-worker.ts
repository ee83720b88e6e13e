/**
 * The SQLite worker thread: owns the connection and runs every operation
 * (sqlite-store.ts does the group commit and the durability wait), so the
 * server's event loop does network, crypto and protocol only. Operations
 * arrive by name and are found in the registry (server/operations/index.ts);
 * their results go back once durable, in one message per turn. The hot
 * operations (a text send, PUSH_ACKs) come and go as entries of one binary
 * stream per message instead (worker-channel.ts).
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { operations } from '../operations/index';
import { SqliteStore } from './sqlite-store';
import type { WriteOperation } from './store';
import type { Written } from '../operations/operation';
import { ByteReader, ByteWriter, hotCodecOf, STRUCTURED, writeResult, type HotCodec } from './worker-channel';
import { packPayloads, toWire, type FromWorker, type Job, type Result, type ToWorker, type WorkerInit } from './worker-protocol';

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (message: FromWorker) => port.postMessage(message);

let store: SqliteStore;
try {
  store = SqliteStore.open(init.file, {
    durability: init.durability,
    maxBatch: init.maxBatch,
    onSyncError: (err) => send({ type: 'syncError', error: toWire(err) }),
  });
} catch (err) {
  send({ type: 'failed', error: toWire(err) });
  throw err;
}

/** This thread's CPU seconds (Linux: /proc/thread-self/stat utime + stime, in 1/100 s), for the metrics; undefined elsewhere. */
function threadCpuSeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
let cpu = threadCpuSeconds();
const stats = () => ({ ...store.stats(), threadCpuSeconds: cpu });
// Refreshed twice a second (reading /proc per batch would cost more than it tells), and told even when idle.
setInterval(() => {
  const now = threadCpuSeconds();
  if (now === cpu) return;
  cpu = now;
  send({ type: 'stats', stats: stats() });
}, 500).unref();

/** Results settled since the last message: structured ones listed, hot ones in the stream (where a tag stands for each listed one). */
let outbox: Result[] = [];
const stream = new ByteWriter();
let hot = 0;
let flushing = false;

/** Posts what settled: listed results with their push payloads packed into one transferred buffer, and the stream if it carries a hot result. */
function flushResults(): void {
  const results = outbox;
  outbox = [];
  const bytes = hot > 0 ? stream.take() : undefined;
  if (!bytes) stream.at = 0;
  hot = 0;
  const payloads = packPayloads(results);
  const transfer: ArrayBuffer[] = [];
  if (payloads) transfer.push(payloads.bytes.buffer);
  if (bytes) transfer.push(bytes.buffer);
  port.postMessage({ type: 'results', results, stats: stats(), payloads, stream: bytes } satisfies FromWorker, transfer);
}

function scheduleFlush(): void {
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    if (outbox.length > 0 || hot > 0) flushResults(); // else flushed by close
  });
}

function reply(result: Result): void {
  outbox.push(result);
  stream.u8(STRUCTURED);
  scheduleFlush();
}

function replyHot(codec: HotCodec<unknown, unknown>, id: number, result: Written<unknown>): void {
  writeResult(stream, codec, id, result);
  hot++;
  scheduleFlush();
}

function run(job: Job): void {
  const op = operations.get(job.name);
  if (!op || op.kind !== job.kind) {
    reply({ id: job.id, ok: false, error: toWire(new Error(`no ${job.kind} operation named ${job.name} is registered`)) });
    return;
  }
  store.submit(op, job.args, job.now, (ok, value) => reply(ok ? { id: job.id, ok: true, value } : { id: job.id, ok: false, error: toWire(value) }));
}

function runHot(codec: HotCodec<unknown, unknown>, id: number, now: number, args: unknown): void {
  const op = operations.get(codec.name) as WriteOperation<unknown, Written<unknown>>;
  store.submit(op, args, now, (ok, value) => (ok ? replyHot(codec, id, value as Written<unknown>) : reply({ id, ok: false, error: toWire(value) })));
}

/** The jobs of one message, in the order they were submitted: the stream's entries, each tag 0 standing for the next listed job. */
function runAll(jobs: Job[], bytes: Uint8Array | undefined): void {
  if (!bytes) {
    for (const job of jobs) run(job);
    return;
  }
  const r = new ByteReader(bytes);
  let next = 0;
  while (!r.done) {
    const tag = r.u8();
    if (tag === STRUCTURED) {
      run(jobs[next++]!);
      continue;
    }
    const codec = hotCodecOf(tag);
    const id = r.f64();
    const now = r.f64();
    runHot(codec, id, now, codec.readArgs(r));
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'jobs':
      runAll(message.jobs, message.stream);
      break;
    case 'backup':
      store.backup(message.file).then(
        () => reply({ id: message.id, ok: true, value: undefined }),
        (err: unknown) => reply({ id: message.id, ok: false, error: toWire(err) }),
      );
      break;
    case 'close':
      // Everything queued before the close commits and is answered first.
      void store.close().then(() => {
        if (outbox.length > 0 || hot > 0) flushResults();
        send({ type: 'closed' });
        port.close();
      });
      break;
  }
});

send({ type: 'ready' });
