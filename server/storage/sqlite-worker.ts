/**
 * The SQLite worker thread: owns the connection and runs every operation
 * (sqlite-store.ts does the group commit and the durability wait), so the
 * server's event loop does network, crypto and protocol only. Operations
 * arrive by name and are found in the registry (server/operations/index.ts);
 * their results go back once durable, in one message per turn.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { operations } from '../operations/index';
import { SqliteStore } from './sqlite-store';
import type { ReadOperation, WriteOperation } from './store';
import { packPayloads, toWire, type FromWorker, type Result, type ToWorker, type WorkerInit } from './worker-protocol';

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

/** Results with their push payloads packed into one transferred buffer. */
function sendResults(results: Result[]): void {
  const payloads = packPayloads(results);
  if (!payloads) return send({ type: 'results', results, stats: stats() });
  port.postMessage({ type: 'results', results, stats: stats(), payloads } satisfies FromWorker, [payloads.bytes.buffer]);
}

/** Results settled this turn, posted together. */
let outbox: Result[] = [];
function reply(result: Result): void {
  outbox.push(result);
  if (outbox.length === 1) {
    setImmediate(() => {
      if (outbox.length === 0) return; // flushed by close
      const results = outbox;
      outbox = [];
      sendResults(results);
    });
  }
}

function run(job: { id: number; kind: 'write' | 'read'; name: string; args: unknown; now: number }): void {
  const op = operations.get(job.name);
  if (!op || op.kind !== job.kind) {
    reply({ id: job.id, ok: false, error: toWire(new Error(`no ${job.kind} operation named ${job.name} is registered`)) });
    return;
  }
  const pending = op.kind === 'write' ? store.write(op as WriteOperation<unknown, unknown>, job.args, job.now) : store.read(op as ReadOperation<unknown, unknown>, job.args, job.now);
  pending.then(
    (value) => reply({ id: job.id, ok: true, value }),
    (err: unknown) => reply({ id: job.id, ok: false, error: toWire(err) }),
  );
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'jobs':
      for (const job of message.jobs) run(job);
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
        if (outbox.length > 0) sendResults(outbox);
        outbox = [];
        send({ type: 'closed' });
        port.close();
      });
      break;
  }
});

send({ type: 'ready' });
