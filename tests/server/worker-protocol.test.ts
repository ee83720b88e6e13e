/** The SQLite worker's results carry their push payloads packed into one transferred buffer. */
import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { packPayloads, unpackPayloads, type FromWorker, type Result } from '../../server/storage/worker-protocol';

const push = (userId: number, bytes: number[]) => ({ userId, seq: userId * 10, payload: Uint8Array.from(bytes) });

function sample(): Result[] {
  return [
    { id: 1, ok: true, value: { value: { msgId: 5 }, pushes: [push(1, [1, 2, 3]), push(2, []), push(3, [4])] } },
    { id: 2, ok: false, error: { kind: 'unavailable', message: 'down', diskFull: false } },
    { id: 3, ok: true, value: [{ pushes: 'a read row, not a write' }] },
    { id: 4, ok: true, value: { value: undefined, pushes: [] } },
    { id: 5, ok: true, value: { value: 7, pushes: [push(4, [9, 8, 7, 6, 5])] } },
    { id: 6, ok: true, value: null },
  ];
}

describe('packed push payloads', () => {
  it('cross a real MessagePort in one transferred buffer and come back as the same bytes, in order', async () => {
    const results = sample();
    const expected = structuredClone(sample());
    const payloads = packPayloads(results)!;
    expect(payloads.lengths).toEqual([3, 0, 1, 5]);
    expect(Array.from(payloads.bytes)).toEqual([1, 2, 3, 4, 9, 8, 7, 6, 5]);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<FromWorker>((resolve) => port2.once('message', resolve));
    port1.postMessage({ type: 'results', results, stats: { batches: 0, jobs: 0, syncs: 0 }, payloads } satisfies FromWorker, [payloads.bytes.buffer]);
    expect(payloads.bytes.byteLength).toBe(0); // moved, not copied
    const message = (await received) as Extract<FromWorker, { type: 'results' }>;
    port1.close();
    unpackPayloads(message.results, message.payloads!);
    expect(message.results).toEqual(expected);
  });

  it('leaves results without pushes alone', () => {
    const results: Result[] = [{ id: 1, ok: true, value: { value: 1, pushes: [] } }, { id: 2, ok: true, value: 'row' }];
    expect(packPayloads(results)).toBeUndefined();
    expect(results).toEqual([{ id: 1, ok: true, value: { value: 1, pushes: [] } }, { id: 2, ok: true, value: 'row' }]);
  });
});
