/**
 * The cache of downloaded files as Settings shows it: what it holds
 * (getMediaCache), a lower cap evicting at once (least recently used first),
 * "clear cache" (clearMediaCache) removing every downloaded file from disk,
 * and what was removed downloading again intact; a message whose file went
 * tells the UI it is no longer downloaded. Real server, real files.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientCore } from '../../../electron/core/index';
import { noise, readAll, stageBytes } from './helpers';
import { delivered, friendsOverServer, received, type Pair } from './pair';
import { record, waitFor } from '../helpers/clients';
import { parseCall } from '../../../shared/ipc/api';

let pair: Pair;
let alice: ClientCore;
let bob: ClientCore;

beforeAll(async () => {
  pair = await friendsOverServer('cache-settings', { maxAttachmentBytes: 4 * 1024 * 1024 });
  ({ alice, bob } = pair);
});

afterAll(async () => {
  await pair?.close();
});

/** Alice sends a file of `size` bytes; bob downloads it. Returns the message id and the bytes. */
async function sendAndDownload(name: string, size: number, seed: number): Promise<{ id: string; bytes: Uint8Array }> {
  const bytes = noise(size, seed);
  const staged = await stageBytes(alice, name, bytes);
  const { id } = await alice.sendMessage({ key: pair.toBob, text: '', attachments: [staged.stagingId] });
  await delivered(alice, pair.toBob, id);
  await received(bob, pair.toAlice, id);
  await bob.downloadAttachment({ messageId: id, index: 0 });
  return { id, bytes };
}

function bobFiles(): string[] {
  // files/<ab>/<digest> under the account's folder
  const accounts = join(pair.root, 'bob', 'accounts');
  const out: string[] = [];
  for (const account of readdirSync(accounts)) {
    const dir = join(accounts, account, 'files');
    if (!existsSync(dir)) continue;
    for (const ab of readdirSync(dir)) if (ab.length === 2) for (const f of readdirSync(join(dir, ab))) out.push(join(dir, ab, f));
  }
  return out;
}

describe('the cache of downloaded files in Settings', () => {
  it('tells what it holds; a lower cap evicts at once, oldest first; clear empties it; what went downloads again intact', async () => {
    const empty = await bob.getMediaCache({});
    expect(empty).toEqual({ bytes: 0, files: 0, limitBytes: 2048 * 1024 * 1024 });
    const first = await sendAndDownload('one.bin', 450_000, 1);
    const second = await sendAndDownload('two.bin', 450_000, 2);
    const third = await sendAndDownload('three.bin', 450_000, 3);
    const held = await bob.getMediaCache({});
    expect(held.files).toBe(3);
    expect(held.bytes).toBeGreaterThan(3 * 450_000); // ciphertext: a little more than the plaintext
    expect(held.bytes).toBeLessThan(3 * 470_000);
    expect(bobFiles()).toHaveLength(3);

    // Reading the first makes it the most recently used: the second is the oldest now.
    await readAll(bob, first.id, 0);
    const changes = record(bob, 'messagesChanged');
    /** The last view of a message's first file that a change event carried. */
    const announced = (id: string) => changes.flatMap((e) => e.messages).filter((m) => m.id === id).at(-1)?.attachments?.[0]?.downloaded;
    await bob.updateSettings({ media: { cacheLimitMiB: 1 } });
    const capped = await waitFor(async () => {
      const u = await bob.getMediaCache({});
      return u.files === 2 ? u : null;
    }, 'the lower cap applied');
    expect(capped.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(capped.limitBytes).toBe(1024 * 1024);
    const views = (await bob.loadMessages({ key: pair.toAlice })).messages;
    const downloaded = (id: string) => views.find((m) => m.id === id)!.attachments![0]!.downloaded;
    expect([downloaded(first.id), downloaded(second.id), downloaded(third.id)]).toEqual([true, false, true]);
    // A screen showing these messages hears that the evicted one is no longer on this device (and nothing about the others).
    await waitFor(() => announced(second.id) === false || null, 'the evicted file announced');
    expect([announced(first.id), announced(third.id)]).toEqual([undefined, undefined]);

    const { freedBytes } = await bob.clearMediaCache({});
    expect(freedBytes).toBe(capped.bytes);
    expect(await bob.getMediaCache({})).toEqual({ bytes: 0, files: 0, limitBytes: 1024 * 1024 });
    expect(bobFiles()).toHaveLength(0);
    expect([announced(first.id), announced(second.id), announced(third.id)]).toEqual([false, false, false]);
    // Cleared twice: nothing to free, no error.
    expect(await bob.clearMediaCache({})).toEqual({ freedBytes: 0 });

    // What went downloads again when asked for, and is the same file.
    for (const f of [first, second, third]) expect((await readAll(bob, f.id, 0)).bytes.equals(Buffer.from(f.bytes))).toBe(true);
    await bob.updateSettings({ media: { cacheLimitMiB: 2048 } });
  });

  it('clearing the cache while its files are read again never breaks those reads', async () => {
    // The eviction forgets a file, then removes it from disk; a read that starts in between downloads it again
    // beside it. Only the complete file may go then, never the new download's partial one.
    const files = [await sendAndDownload('four.bin', 300_000, 4), await sendAndDownload('five.bin', 300_000, 5)];
    for (let round = 0; round < 10; round++) {
      const clearing = bob.clearMediaCache({});
      const reads = await Promise.all(files.map((f) => readAll(bob, f.id, 0)));
      await clearing;
      for (const [i, f] of files.entries()) expect(reads[i]!.bytes.equals(Buffer.from(f.bytes)), `round ${round}, file ${i}`).toBe(true);
    }
  });

  it('the contract refuses a cap or an auto-download size out of range (INVALID_ARGUMENT) and takes the ones in range', () => {
    for (const media of [{ cacheLimitMiB: 0 }, { cacheLimitMiB: -5 }, { autoDownloadMiB: 4096 }, { autoDownloadMiB: 1.5 }, { cacheLimitMiB: '2048' }]) {
      expect(parseCall('updateSettings', { media }), JSON.stringify(media)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
    for (const media of [{ cacheLimitMiB: 1 }, { autoDownloadMiB: 0 }, { autoDownloadMiB: 100, cacheLimitMiB: 51200 }]) {
      expect(parseCall('updateSettings', { media }), JSON.stringify(media)).toMatchObject({ ok: true });
    }
    for (const name of ['getMediaCache', 'clearMediaCache'] as const) {
      expect(parseCall(name, {})).toMatchObject({ ok: true });
      expect(parseCall(name, { all: true })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
  });
});
