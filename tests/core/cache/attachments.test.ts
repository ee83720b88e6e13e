/**
 * Messages with files in the cache: what an incoming message's attachments
 * become (checked, sanitised), previews, search by file name, the media
 * lists, recall, the outbox payload, local files and their LRU.
 */
import { describe, expect, it } from 'vitest';
import type { ConversationKey } from '../../../shared/ipc';
import { AttachmentKind } from '../../../shared/protocol';
import { cipherSize } from '../../../shared/attachments/format';
import { storedFromWire, type StoredAttachment } from '../../../electron/core/attachments/stored';
import type { WireAttachment } from '../../../electron/core/wire';
import { ME, cacheOpener, tick, now, wireMessage } from './fixtures';

const open = cacheOpener();
const PEER: ConversationKey = 'u:2';

let seq = 0;
function digest(): string {
  return (++seq).toString(16).padStart(64, '0');
}

function wireFile(name: string, size: number, over: Partial<WireAttachment> = {}): WireAttachment {
  return {
    kind: AttachmentKind.FILE,
    blob: { digest: digest(), cipherSize: cipherSize(size), key: new Uint8Array(32).fill(7) },
    size,
    name,
    mime: 'application/pdf',
    width: 0,
    height: 0,
    thumbhash: new Uint8Array(0),
    ...over,
  };
}

function wireImage(name: string, size: number): WireAttachment {
  return wireFile(name, size, {
    kind: AttachmentKind.IMAGE,
    mime: 'image/jpeg',
    width: 4000,
    height: 3000,
    thumbhash: new Uint8Array([1, 2, 3]),
    thumbnail: { digest: digest(), cipherSize: cipherSize(20_000), key: new Uint8Array(32).fill(8) },
  });
}

function stored(name: string, size: number, kind: 'image' | 'file' = 'file'): StoredAttachment {
  return { kind, name, mime: kind === 'image' ? 'image/png' : 'application/pdf', size, blob: { digest: digest(), cipherSize: cipherSize(size), key: Buffer.alloc(32, 1).toString('base64') } };
}

describe('storedFromWire: an incoming attachment is the sender’s word, checked', () => {
  it('keeps a good one, sanitising the name and cleaning the type', () => {
    const s = storedFromWire(wireFile('../../etc/passwd', 10, { mime: 'Application/PDF; charset=x' }))!;
    expect(s).toMatchObject({ kind: 'file', name: '.._.._etc_passwd', mime: 'application/pdf', size: 10 });
    expect(storedFromWire(wireFile('x', 10, { mime: 'not a type' }))!.mime).toBe('application/octet-stream');
  });

  it('drops what cannot be fetched or opened: a bad digest, a short key, a size that does not fit the ciphertext', () => {
    expect(storedFromWire(wireFile('a', 10, { blob: { digest: 'zz', cipherSize: cipherSize(10), key: new Uint8Array(32) } }))).toBeUndefined();
    expect(storedFromWire(wireFile('a', 10, { blob: { digest: digest(), cipherSize: cipherSize(10), key: new Uint8Array(16) } }))).toBeUndefined();
    expect(storedFromWire(wireFile('a', 10, { blob: { digest: digest(), cipherSize: cipherSize(11), key: new Uint8Array(32) } }))).toBeUndefined();
  });

  it('an "image" of a type not shown inline is a file; an oversized ThumbHash or thumbnail is dropped', () => {
    expect(storedFromWire(wireFile('x.svg', 10, { kind: AttachmentKind.IMAGE, mime: 'image/svg+xml', width: 10, height: 10 }))!.kind).toBe('file');
    const img = storedFromWire(
      wireFile('p.png', 10, {
        kind: AttachmentKind.IMAGE,
        mime: 'image/png',
        width: 10,
        height: 10,
        thumbhash: new Uint8Array(65),
        thumbnail: { digest: digest(), cipherSize: cipherSize(2 * 1024 * 1024), key: new Uint8Array(32) },
      }),
    )!;
    expect(img).toMatchObject({ kind: 'image', width: 10, height: 10 });
    expect(img.thumbhash).toBeUndefined();
    expect(img.thumbnail).toBeUndefined();
  });
});

describe('messages with files', () => {
  it('an incoming message shows its files (keys stay out of the view), previews, search by name, media lists', () => {
    const cache = open();
    const pic = wireImage('IMG_0001.jpg', 2_000_000);
    const doc = wireFile('预算 2026.pdf', 80_000);
    cache.applySyncEvents([]);
    const { message } = cache.messages.applyServerMessage(wireMessage(PEER, 1, { text: '', attachments: [pic, doc] }));
    expect(message.attachments).toEqual([
      { index: 0, kind: 'image', name: 'IMG_0001.jpg', mime: 'image/jpeg', size: 2_000_000, width: 4000, height: 3000, thumbhash: 'AQID', hasThumbnail: true, downloaded: false },
      { index: 1, kind: 'file', name: '预算 2026.pdf', mime: 'application/pdf', size: 80_000, hasThumbnail: false, downloaded: false },
    ]);
    expect(JSON.stringify(message)).not.toContain('"key"');
    expect(cache.conversations.get(PEER)?.lastMessage).toMatchObject({ preview: '', attachment: { kind: 'file', name: '预算 2026.pdf', count: 2 } });
    expect(cache.search.search({ query: '预算', limit: 10 }).map((h) => h.messageId)).toEqual([message.id]);
    expect(cache.search.search({ query: 'IMG_0001', limit: 10 })[0]?.snippet.map((p) => p.text).join('')).toContain('IMG_0001.jpg');
    // A file on this device flips `downloaded`.
    cache.localFiles.putComplete(pic.blob!.digest, Number(pic.blob!.cipherSize), false);
    expect(cache.messages.get(message.id)?.attachments?.map((a) => a.downloaded)).toEqual([true, false]);
  });

  it('a recall takes the files with the text (view, search, media list)', () => {
    const cache = open();
    const w = wireMessage(PEER, 1, { text: 'see file', attachments: [wireFile('secret-plan.pdf', 100)] });
    const { message } = cache.messages.applyServerMessage(w);
    cache.messages.applyRecall({ conversation: w.conversation, msgId: w.msgId, convSeq: 1, recalledBy: 2 });
    const after = cache.messages.get(message.id)!;
    expect(after.recalled).toBe(true);
    expect(after.attachments).toBeUndefined();
    expect(cache.search.search({ query: 'secret', limit: 10 })).toEqual([]);
    expect(cache.messages.listMedia(PEER, 'files', 10).items).toEqual([]);
    expect(cache.messages.storedAttachments(message.id)?.list).toEqual([]);
  });

  it('media lists page newest first over the messages with files only, pictures apart from files', () => {
    const cache = open();
    const ids: string[] = [];
    for (let i = 1; i <= 30; i++) {
      const files = i % 3 === 0 ? [wireImage(`p${i}.jpg`, 1000), wireFile(`d${i}.pdf`, 100)] : i % 3 === 1 ? [wireImage(`p${i}.jpg`, 1000)] : [];
      ids.push(cache.messages.applyServerMessage(wireMessage(PEER, i, { text: `m${i}`, attachments: files })).message.id);
    }
    const first = cache.messages.listMedia(PEER, 'media', 7);
    expect(first.items.map((i) => i.attachment.name)).toEqual(['p30.jpg', 'p28.jpg', 'p27.jpg', 'p25.jpg', 'p24.jpg', 'p22.jpg', 'p21.jpg']);
    const rest = cache.messages.listMedia(PEER, 'media', 100, first.nextCursor);
    expect(rest.items.length).toBe(20 - 7);
    expect(rest.nextCursor).toBeUndefined();
    expect(cache.messages.listMedia(PEER, 'files', 100).items.map((i) => i.attachment.name)).toEqual(['d30.pdf', 'd27.pdf', 'd24.pdf', 'd21.pdf', 'd18.pdf', 'd15.pdf', 'd12.pdf', 'd9.pdf', 'd6.pdf', 'd3.pdf']);
    expect(cache.messages.listMedia('u:3', 'media', 10).items).toEqual([]);
  });

  it('an outgoing message with files: enqueued with its files in the outbox payload, files unpinned at the ack', () => {
    const cache = open();
    const files = [stored('a.pdf', 500), stored('b.png', 900, 'image')];
    for (const f of files) cache.localFiles.putComplete(f.blob.digest, f.blob.cipherSize, true);
    const { message, entry } = cache.enqueueOutgoing({ id: 'out-1', key: PEER, text: '', attachments: files, createdAt: now() });
    expect(message.attachments?.map((a) => [a.name, a.downloaded])).toEqual([
      ['a.pdf', true],
      ['b.png', true],
    ]);
    expect(entry.payload.attachments).toEqual(files);
    expect(cache.outbox.get('out-1')?.payload.attachments).toEqual(files);
    expect(cache.localFiles.leastRecentlyUsed(10)).toEqual([]);
    cache.acknowledgeOutgoing('out-1', { msgId: 77, convSeq: 1, sentAt: now() });
    expect(cache.localFiles.leastRecentlyUsed(10).map((f) => f.digest).sort()).toEqual(files.map((f) => f.blob.digest).sort());
    expect(cache.localFiles.cachedBytes()).toBe(files.reduce((n, f) => n + f.blob.cipherSize, 0));
  });

  it('local files: verified prefixes, touch moves a file to the back of the eviction order', () => {
    const cache = open();
    cache.localFiles.setHave('a'.repeat(64), 1000, 300);
    expect(cache.localFiles.partial().map((f) => f.have)).toEqual([300]);
    expect(cache.localFiles.cachedBytes()).toBe(0);
    cache.localFiles.putComplete('a'.repeat(64), 1000, false);
    tick();
    cache.localFiles.putComplete('b'.repeat(64), 2000, false);
    expect(cache.localFiles.leastRecentlyUsed(5).map((f) => f.digest[0])).toEqual(['a', 'b']);
    tick();
    cache.localFiles.touch('a'.repeat(64));
    expect(cache.localFiles.leastRecentlyUsed(5).map((f) => f.digest[0])).toEqual(['b', 'a']);
    void ME;
  });
});
