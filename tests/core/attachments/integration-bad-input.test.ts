/**
 * Bad input on the client side, through a real server: a file altered or cut
 * on the server's disk, a misleading extension, a decompression bomb, names
 * that try to be paths, and the cache's size cap (what is evicted downloads
 * again).
 */
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationKey, MessageView } from '../../../shared/ipc';
import type { ClientCore } from '../../../electron/core/index';
import { befriend, client, PASSWORD, record, waitFor, waitOnline } from '../helpers/clients';
import { inProcessServer, tempDir } from '../helpers/server';
import { diskFileName } from '../../../shared/attachments/names';
import { noise, png, readAll, stageBytes } from './helpers';

let root: string;
let serverData: string;
let close: () => Promise<void>;
let alice: ClientCore;
let bob: ClientCore;
let toBob: ConversationKey;
let toAlice: ConversationKey;
let bobId: number;

beforeAll(async () => {
  root = tempDir('attachments-bad');
  const s = await inProcessServer(undefined, { maxAttachmentBytes: 8 * 1024 * 1024 });
  serverData = s.dataDir;
  close = async () => {
    await s.server.close();
    rmSync(s.dataDir, { recursive: true, force: true });
  };
  // Short retry delays: a cut download is retried three times before it fails.
  alice = await client(root, 'alice', [s.endpoint], { transferRetryMs: 20 });
  bob = await client(root, 'bob', [s.endpoint], { transferRetryMs: 20 });
  const a = await alice.register({ username: 'alice', password: PASSWORD });
  const b = await bob.register({ username: 'bob', password: PASSWORD });
  bobId = b.profile.userId;
  await waitOnline(alice);
  await waitOnline(bob);
  await befriend(alice, bob);
  toBob = `u:${b.profile.userId}`;
  toAlice = `u:${a.profile.userId}`;
});

afterAll(async () => {
  await alice?.dispose();
  await bob?.dispose();
  await close();
  rmSync(root, { recursive: true, force: true });
});

/** Alice sends staged files; resolves with the message as bob got it. */
async function send(stagingIds: string[], text = ''): Promise<MessageView> {
  const { id } = await alice.sendMessage({ key: toBob, text, attachments: stagingIds });
  return waitFor(async () => (await bob.loadMessages({ key: toAlice })).messages.find((m) => m.id === id), 'bob receives');
}

function serverBlobPath(digest: string): string {
  return join(serverData, 'blobs', digest.slice(0, 2), digest);
}

/** The digest of the one blob the server got since `before` (alice's latest upload). */
function newBlobs(before: Set<string>): string[] {
  const dir = join(serverData, 'blobs');
  return readdirSync(dir).flatMap((d) => readdirSync(join(dir, d))).filter((f) => !before.has(f));
}

function blobsNow(): Set<string> {
  const dir = join(serverData, 'blobs');
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).flatMap((d) => readdirSync(join(dir, d))));
}

function bobFiles(): string[] {
  const dir = join(root, 'bob', 'accounts', String(bobId), 'files');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((d) => readdirSync(join(dir, d)));
}

describe('received files that are not what the message says', () => {
  it('a file altered on the server is refused whole (FILE_DAMAGED); nothing of it is kept or shown', async () => {
    const before = blobsNow();
    const m = await send([(await stageBytes(alice, 'contract.pdf', noise(200_000, 21))).stagingId]);
    const [digest] = newBlobs(before);
    const path = serverBlobPath(digest!);
    const bytes = readFileSync(path);
    bytes[150_000]! ^= 0x01;
    writeFileSync(path, bytes);
    const progress = record(bob, 'transferProgress');
    await expect(bob.downloadAttachment({ messageId: m.id, index: 0 })).rejects.toMatchObject({ code: 'FILE_DAMAGED' });
    await expect(bob.readAttachment({ messageId: m.id, index: 0 })).rejects.toMatchObject({ code: 'FILE_DAMAGED' });
    expect(progress.at(-1)).toMatchObject({ state: 'failed', error: { code: 'FILE_DAMAGED' } });
    expect(bobFiles().filter((f) => f.startsWith(digest!))).toEqual([]);
    const view = (await bob.loadMessages({ key: toAlice })).messages.find((x) => x.id === m.id);
    expect(view?.attachments?.[0]?.downloaded).toBe(false);
  });

  it('a file cut short on the server never becomes readable (the cut download is retried, then fails)', async () => {
    const before = blobsNow();
    const m = await send([(await stageBytes(alice, 'movie.mp4', noise(300_000, 22))).stagingId]);
    const [digest] = newBlobs(before);
    truncateSync(serverBlobPath(digest!), 100_000);
    const err = await bob.readAttachment({ messageId: m.id, index: 0 }).catch((e: unknown) => e as { code: string });
    expect(['UNAVAILABLE', 'FILE_DAMAGED']).toContain((err as { code: string }).code);
    expect(bobFiles().filter((f) => f === digest)).toEqual([]);
  });
});

describe('files whose name or header lies', () => {
  it('a picture named .pdf is a picture; a program named .pdf is a program (the type comes from the bytes)', async () => {
    const picture = await stageBytes(alice, 'report.pdf', png(64, 48));
    expect(picture).toMatchObject({ name: 'report.pdf', mime: 'image/png', kind: 'image', decodable: true });
    const program = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), noise(2000, 3)]);
    program.writeUInt32LE(64, 0x3c);
    const exe = await stageBytes(alice, 'invoice.pdf', program);
    expect(exe).toMatchObject({ name: 'invoice.pdf', kind: 'file' });
    expect(exe.mime).toMatch(/msdownload|executable|x-dosexec/);
    const m = await send([picture.stagingId, exe.stagingId]);
    expect(m.attachments?.map((a) => [a.kind, a.mime])).toEqual([
      ['image', 'image/png'],
      ['file', exe.mime],
    ]);
    // The receiver checks the decrypted bytes again.
    expect(await readAll(bob, m.id, 0)).toMatchObject({ mime: 'image/png', displayable: true });
    expect(await readAll(bob, m.id, 1)).toMatchObject({ mime: exe.mime, displayable: false });
  });

  it('a decompression bomb (a header of 40,000 x 40,000 on a few bytes) is never decodable, on either side', async () => {
    const bomb = png(8, 8, { width: 40_000, height: 40_000 });
    expect(bomb.length).toBeLessThan(200);
    const staged = await stageBytes(alice, 'cute-cat.png', bomb);
    expect(staged).toMatchObject({ mime: 'image/png', kind: 'file', decodable: false, width: 40_000, height: 40_000 });
    // No thumbnail for something the UI must not decode.
    await expect(alice.setAttachmentThumbnail({ stagingId: staged.stagingId, thumbnail: Buffer.from(png(8, 8)).toString('base64'), thumbhash: 'AQID' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const m = await send([staged.stagingId]);
    expect(m.attachments?.[0]).toMatchObject({ kind: 'file', hasThumbnail: false });
    expect(await readAll(bob, m.id, 0)).toMatchObject({ mime: 'image/png', displayable: false });
  });

  it('a thumbnail that is not a small picture is refused', async () => {
    const staged = await stageBytes(alice, 'ok.png', png(100, 80));
    const huge = png(8, 8, { width: 5000, height: 5000 });
    await expect(alice.setAttachmentThumbnail({ stagingId: staged.stagingId, thumbnail: Buffer.from(huge).toString('base64'), thumbhash: 'AQID' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(alice.setAttachmentThumbnail({ stagingId: staged.stagingId, thumbnail: Buffer.from('not a picture').toString('base64'), thumbhash: 'AQID' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await alice.discardAttachment({ stagingId: staged.stagingId });
  });

  it('path-like, control-character and 300-character names are made safe; an export stays in its folder', async () => {
    const long = `${'长'.repeat(300)}.txt`;
    const names = ['../../etc/passwd', 'a\u0000b\u0007.txt', 'invoice\u202Efdp.exe', long, '..'];
    const staged = [];
    for (const [i, name] of names.entries()) staged.push(await stageBytes(alice, name, noise(50, i + 40)));
    expect(staged.map((s) => s.name)).toEqual(['.._.._etc_passwd', 'a_b_.txt', 'invoice_fdp.exe', `${'长'.repeat(251)}.txt`, 'file']);
    const m = await send(staged.map((s) => s.stagingId));
    expect(m.attachments?.map((a) => a.name)).toEqual(staged.map((s) => s.name));
    const out = join(root, 'exports');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    for (let i = 0; i < names.length; i++) {
      const { path } = await bob.exportAttachment({ messageId: m.id, index: i, dir: out });
      expect(path.startsWith(`${out}/`)).toBe(true);
      expect(path.slice(out.length + 1)).toBe(diskFileName(staged[i]!.name));
      expect(Buffer.byteLength(path.slice(out.length + 1))).toBeLessThanOrEqual(200);
    }
    // Exporting again reuses the file that is already there (no " (1)" copy).
    expect((await bob.exportAttachment({ messageId: m.id, index: 0, dir: out })).path).toBe(join(out, '.._.._etc_passwd'));
    expect(readdirSync(out).sort()).toEqual(staged.map((s) => diskFileName(s.name)).sort());
    expect(diskFileName(long)).toBe(`${'长'.repeat(65)}.txt`);
  });
});

describe('the cache of downloaded files', () => {
  it('keeps under its cap, least recently used first; what was evicted downloads again', async () => {
    await bob.updateSettings({ media: { cacheLimitMiB: 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await stageBytes(alice, `part-${i}.bin`, noise(450_000, 60 + i))).stagingId);
    const m = await send(ids);
    for (let i = 0; i < 3; i++) await bob.downloadAttachment({ messageId: m.id, index: i });
    const view = await waitFor(async () => {
      const v = (await bob.loadMessages({ key: toAlice })).messages.find((x) => x.id === m.id);
      return v?.attachments?.[0]?.downloaded === false ? v : undefined;
    }, 'the oldest evicted');
    expect(view.attachments?.map((a) => a.downloaded)).toEqual([false, true, true]);
    const progress = record(bob, 'transferProgress');
    expect((await readAll(bob, m.id, 0)).bytes.equals(Buffer.from(noise(450_000, 60)))).toBe(true);
    expect(progress.some((p) => p.index === 0 && p.direction === 'download' && p.state === 'done')).toBe(true);
    await bob.updateSettings({ media: { cacheLimitMiB: 2048 } });
  });
});
