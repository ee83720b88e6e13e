/**
 * Attachments cut mid-transfer: the blob service's URL (what the server tells
 * clients) goes through a fault proxy held to a few MB/s, and the proxy resets
 * every connection twice in the middle of an upload and once in the middle of
 * the download. The upload resumes where the server stopped (not from zero),
 * the message arrives once, and the downloaded file is byte for byte the one
 * sent; then the world's invariants.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferProgress } from '../../shared/ipc';
import { noise, readAll } from '../core/attachments/helpers';
import { freePort } from '../support/postgres';
import { waitFor } from '../support/wait';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy';
import { chaosSeed, longMode } from './support/mode';
import { World } from './support/world';

const seed = chaosSeed(1508);
const SIZE = (longMode ? 24 : 6) * 1024 * 1024;
const RATE = 2_000_000; // bytes/s on the blob link: an upload takes seconds whatever the machine
let world: World;
let blobProxy: FaultProxy;

beforeAll(async () => {
  console.log(`chaos attachments: seed ${seed}`);
  const blobPort = await freePort();
  blobProxy = await startFaultProxy({ host: '127.0.0.1', port: blobPort }, { seed });
  world = await World.create({
    name: 'attach',
    participants: 2,
    seed,
    server: { env: { TERN_SERVER_BLOB_PORT: String(blobPort), TERN_SERVER_BLOB_PUBLIC_URL: `http://127.0.0.1:${blobProxy.port}` } },
  });
});

afterAll(async () => {
  await world?.dispose();
  await blobProxy?.stop();
});

/** Resets every blob connection once `bytes` more have crossed the proxy (either direction). */
async function cutAfter(bytes: number, what: string): Promise<void> {
  const start = blobProxy.bytes;
  await waitFor(() => blobProxy.bytes - start >= bytes || undefined, what, 120_000);
  blobProxy.resetAll();
}

describe('attachments cut mid-transfer', () => {
  it('an upload cut twice and a download cut once resume; the file arrives intact, in one message', async () => {
    const [alice, bob] = [world.p(0), world.p(1)];
    const content = noise(SIZE, seed);
    const path = join(world.root, 'cut.bin');
    writeFileSync(path, content);
    const uploads: TransferProgress[] = [];
    alice.core.on('transferProgress', (p) => {
      if (p.direction === 'upload') uploads.push(p);
    });
    blobProxy.shape({ bytesPerSec: RATE });

    const staged = await alice.core.stageAttachmentFile({ path });
    const id = await alice.send(world.direct(0, 1), 'cut mid-transfer 文件', [staged.stagingId]);
    await cutAfter(SIZE / 3, 'a third of the upload');
    const firstCut = uploads.length;
    await cutAfter(SIZE / 3, 'two thirds of the upload');
    await waitFor(() => alice.shownSent.has(id) || undefined, 'the message with its file acknowledged', 120_000);

    // It resumed: after the first cut the upload took up where the server stopped (told before any byte moved), not at 0.
    const resumedAt = Math.max(0, ...uploads.slice(firstCut).filter((p) => p.state === 'queued').map((p) => p.bytes));
    console.log(`upload: resumed at ${resumedAt} of ${SIZE} bytes after the first cut; ${uploads.filter((p) => p.state === 'done').length} done event(s)`);
    expect(resumedAt).toBeGreaterThan(0);
    expect(uploads.at(-1)).toMatchObject({ state: 'done' });

    // Bob has it once; his download is cut half way and resumes.
    const key = world.direct(1, 0);
    const got = await waitFor(async () => (await bob.core.loadMessages({ key })).messages.find((m) => m.text === 'cut mid-transfer 文件'), 'the message at bob', 60_000);
    expect(got.attachments?.[0]).toMatchObject({ size: SIZE, name: 'cut.bin' });
    const downloading = bob.core.downloadAttachment({ messageId: got.id, index: 0 });
    await cutAfter(SIZE / 2, 'half the download');
    await downloading;
    blobProxy.shape({});
    expect((await readAll(bob.core as never, got.id, 0)).bytes.equals(Buffer.from(content))).toBe(true);
    expect((await bob.core.loadMessages({ key })).messages.filter((m) => m.attachments?.length).length).toBe(1);

    await world.settle();
    expect(await world.checkAll({ allowFailed: false, freshDevice: 1 })).toEqual([]);
  });
});
