/** Attachments end to end in the core: two clients, a real server with its blob service, real files and caches. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationKey } from '../../../shared/ipc';
import type { ClientCore } from '../../../electron/core/index';
import { record } from '../helpers/clients';
import { noise, png, readAll, stageBytes } from './helpers';
import { delivered, friendsOverServer, received, type Pair } from './pair';

let pair: Pair;
let root: string;
let alice: ClientCore;
let bob: ClientCore;
let toBob: ConversationKey;
let toAlice: ConversationKey;

beforeAll(async () => {
  pair = await friendsOverServer('attachments', { maxAttachmentBytes: 4 * 1024 * 1024 });
  ({ root, alice, bob, toBob, toAlice } = pair);
});

afterAll(async () => {
  await pair?.close();
});

describe('attachments between two clients', () => {
  it('sends a picture with a thumbnail and a file with a caption; the receiver sees them, downloads and reads them back intact', async () => {
    expect(await alice.getAttachmentLimits({})).toEqual({ maxFileBytes: 4 * 1024 * 1024, maxPerMessage: 10 });
    const picture = png(640, 480);
    const staged = await stageBytes(alice, 'holiday.png', picture, 4096);
    expect(staged).toMatchObject({ name: 'holiday.png', size: picture.length, mime: 'image/png', kind: 'image', width: 640, height: 480, decodable: true, hasThumbnail: false });
    const withThumb = await alice.setAttachmentThumbnail({
      stagingId: staged.stagingId,
      thumbnail: Buffer.from(png(48, 36)).toString('base64'),
      thumbhash: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]).toString('base64'),
    });
    expect(withThumb.hasThumbnail).toBe(true);
    const report = noise(300_000, 7);
    const file = await stageBytes(alice, '季度报告 Q3.bin', report);
    expect(file).toMatchObject({ kind: 'file', mime: 'application/octet-stream', decodable: false });

    const progress = record(alice, 'transferProgress');
    const sent = await alice.sendMessage({ key: toBob, text: '照片和报告', attachments: [staged.stagingId, file.stagingId] });
    const acked = await delivered(alice, toBob, sent.id);
    expect(acked.attachments).toEqual([
      expect.objectContaining({ index: 0, kind: 'image', name: 'holiday.png', width: 640, height: 480, hasThumbnail: true, downloaded: true, thumbhash: 'AQIDBAUGBwg=' }),
      expect.objectContaining({ index: 1, kind: 'file', name: '季度报告 Q3.bin', size: 300_000, downloaded: true }),
    ]);
    // Uploads reported their bytes and ended done.
    const ups = progress.filter((p) => p.messageId === sent.id && p.direction === 'upload');
    expect(ups.some((p) => p.index === 1 && p.state === 'done' && p.bytes === p.total && p.total > 300_000)).toBe(true);
    // The staging ids are spent.
    await expect(alice.finishAttachment({ stagingId: staged.stagingId })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const got = await received(bob, toAlice, sent.id);
    expect(got.text).toBe('照片和报告');
    expect(got.attachments).toEqual([
      expect.objectContaining({ kind: 'image', name: 'holiday.png', mime: 'image/png', width: 640, height: 480, hasThumbnail: true, downloaded: false }),
      expect.objectContaining({ kind: 'file', name: '季度报告 Q3.bin', size: 300_000, downloaded: false }),
    ]);
    const conv = await bob.getConversation({ key: toAlice });
    expect(conv?.lastMessage?.attachment).toEqual({ kind: 'file', name: '季度报告 Q3.bin', count: 2 });

    const thumb = await readAll(bob, sent.id, 0, 'thumbnail');
    expect(thumb).toMatchObject({ mime: 'image/png', displayable: true });
    expect(thumb.bytes.equals(Buffer.from(png(48, 36)))).toBe(true);
    const full = await readAll(bob, sent.id, 0);
    expect(full).toMatchObject({ mime: 'image/png', displayable: true });
    expect(full.bytes.equals(Buffer.from(picture))).toBe(true);
    const changes = record(bob, 'messagesChanged');
    await bob.downloadAttachment({ messageId: sent.id, index: 1 });
    expect(changes.flatMap((c) => c.messages).find((m) => m.id === sent.id)?.attachments?.[1]?.downloaded).toBe(true);
    const back = await readAll(bob, sent.id, 1);
    expect(back.bytes.equals(Buffer.from(report))).toBe(true);
    expect(back.displayable).toBe(false);
    // A slice in the middle crosses chunk boundaries (64 KiB chunks).
    const mid = await bob.readAttachment({ messageId: sent.id, index: 1, offset: 65_000, length: 70_000 });
    expect(Buffer.from(mid.data, 'base64').equals(Buffer.from(report.subarray(65_000, 135_000)))).toBe(true);

    // File names are found by the local search, Chinese included; the media lists split pictures and files.
    const hits = await bob.searchMessages({ query: '季度报告' });
    expect(hits.map((h) => h.messageId)).toEqual([sent.id]);
    expect(hits[0]!.attachment).toEqual({ kind: 'file', name: '季度报告 Q3.bin', count: 2 });
    expect((await alice.searchMessages({ query: 'holiday' })).map((h) => h.messageId)).toEqual([sent.id]);
    const media = await bob.listMedia({ key: toAlice, kind: 'media' });
    expect(media.items.map((i) => [i.messageId, i.attachment.name])).toEqual([[sent.id, 'holiday.png']]);
    const files = await bob.listMedia({ key: toAlice, kind: 'files' });
    expect(files.items.map((i) => i.attachment.name)).toEqual(['季度报告 Q3.bin']);
  });

  it('a file alone (no caption); the cache holds only ciphertext', async () => {
    const bytes = Buffer.from('plain words that must never reach the disk unencrypted\n'.repeat(100));
    const staged = await stageBytes(alice, 'notes.txt', bytes);
    expect(staged.mime).toBe('text/plain');
    const sent = await alice.sendMessage({ key: toBob, text: '', attachments: [staged.stagingId] });
    await delivered(alice, toBob, sent.id);
    await received(bob, toAlice, sent.id);
    const back = await readAll(bob, sent.id, 0);
    expect(back.bytes.equals(bytes)).toBe(true);
    // Every file under the account's folders is encrypted: no plaintext anywhere.
    for (const who of ['alice', 'bob']) {
      for (const file of walk(join(root, who, 'accounts'))) {
        if (file.endsWith('.db') || file.includes('cache.db')) continue;
        expect(readFileText(file).includes('plain words'), file).toBe(false);
      }
    }
  });

  it('refuses an empty file, a file over the limit and too many files before any byte is taken', async () => {
    await expect(alice.beginAttachment({ name: 'empty.txt', size: 0 })).rejects.toMatchObject({ code: 'FILE_EMPTY' });
    await expect(alice.beginAttachment({ name: 'big.iso', size: 4 * 1024 * 1024 + 1 })).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' });
    const ids = [];
    for (let i = 0; i < 11; i++) ids.push((await stageBytes(alice, `f${i}.bin`, noise(100, i + 1))).stagingId);
    await expect(alice.sendMessage({ key: toBob, text: '', attachments: ids })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Nothing was taken: the files are still staged, and can be discarded.
    for (const stagingId of ids) await alice.discardAttachment({ stagingId });
    expect(readdirSync(join(root, 'alice', 'accounts')).length).toBe(1);
  });
});

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function readFileText(path: string): string {
  return readFileSync(path).toString('latin1');
}
