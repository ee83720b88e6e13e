/**
 * Forwarding messages with files: the forward carries the same blobs (keys
 * in the new message), so nothing is uploaded again and the server stores no
 * new blob; the third user downloads and reads the file intact; a forward
 * deleted before it was sent (its sender cut off by a relay) leaves the
 * original's file on the device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationKey, TransferProgress } from '../../../shared/ipc';
import type { ClientCore } from '../../../electron/core/index';
import { startCountingRelay } from '../../support/counting-relay';
import { startProxy } from '../../support/proxies';
import { befriend, client, PASSWORD, record, waitFor, waitOnline } from '../helpers/clients';
import { noise, png, readAll, stageBytes } from './helpers';
import { delivered, friendsOverServer, received, serverBlobs, type Pair } from './pair';

let pair: Pair;
let carl: ClientCore;
let carlKeyAtBob: ConversationKey;
let bobKeyAtCarl: ConversationKey;

beforeAll(async () => {
  pair = await friendsOverServer('forward', { maxAttachmentBytes: 4 * 1024 * 1024 });
  const endpoint = (await pair.bob.getSettings({})).servers[0]!;
  carl = await client(pair.root, 'carl', [endpoint]);
  const c = await carl.register({ username: 'carl', password: PASSWORD });
  await waitOnline(carl);
  await befriend(pair.bob, carl);
  carlKeyAtBob = `u:${c.profile.userId}`;
  bobKeyAtCarl = `u:${pair.bobId}`;
});

afterAll(async () => {
  await carl?.dispose();
  await pair?.close();
});

describe('forwarding messages with files', () => {
  it('a picture with its caption and a file reach a third user as the same blobs: nothing uploaded again, read back intact', async () => {
    const { alice, bob } = pair;
    const picture = png(320, 200);
    const stagedPicture = await stageBytes(alice, 'beach 海滩.png', picture);
    await alice.setAttachmentThumbnail({ stagingId: stagedPicture.stagingId, thumbnail: Buffer.from(png(48, 30)).toString('base64'), thumbhash: Buffer.from([1, 2, 3, 4, 5]).toString('base64') });
    const report = noise(700_000, 5);
    const stagedReport = await stageBytes(alice, 'report.bin', report);
    const original = await alice.sendMessage({ key: pair.toBob, text: 'the photos and the report', attachments: [stagedPicture.stagingId, stagedReport.stagingId] });
    await delivered(alice, pair.toBob, original.id);
    const atBob = await received(bob, pair.toAlice, original.id);
    expect(atBob.attachments).toHaveLength(2);
    const blobsBefore = serverBlobs(pair).sort();
    expect(blobsBefore).toHaveLength(3); // picture, its thumbnail, the report

    // Bob's file transfers go through a real proxy with a counting relay in front (his live TCP link does not).
    const proxy = await startProxy('socks5');
    const relay = await startCountingRelay(proxy.config.host, proxy.config.port);
    await bob.updateSettings({ proxy: { type: 'socks5', host: '127.0.0.1', port: relay.port, username: '', password: '' } });
    try {
      // Bob never downloaded the report: the forward needs no copy of it.
      const uploads = record(bob, 'transferProgress');
      const { ids } = await bob.forwardMessages({ messageIds: [original.id], to: [carlKeyAtBob] });
      expect(ids).toHaveLength(1);
      const forwarded = await delivered(bob, carlKeyAtBob, ids[0]!);
      expect(forwarded.text).toBe('the photos and the report');
      expect(forwarded.attachments!.map((a) => [a.name, a.size, a.kind])).toEqual([
        ['beach 海滩.png', picture.length, 'image'],
        ['report.bin', report.length, 'file'],
      ]);
      // No new blob on the server, and no byte moved for the forward's "upload".
      expect(serverBlobs(pair).sort()).toEqual(blobsBefore);
      // Not one byte of Bob's went to the blob service (his transfers go through a counting relay, see below).
      expect(relay.sent).toBe(0);
      const mine = uploads.filter((e: TransferProgress) => e.messageId === ids[0] && e.direction === 'upload');
      expect(mine.at(-1)?.state).toBe('done');
      expect(mine.some((e) => e.state === 'running')).toBe(false);

      const atCarl = await received(carl, bobKeyAtCarl, ids[0]!);
      expect(atCarl.senderId).toBe(pair.bobId);
      expect(atCarl.attachments!.map((a) => a.name)).toEqual(['beach 海滩.png', 'report.bin']);
      expect(atCarl.attachments![0]!.width).toBe(320);
      expect(atCarl.attachments![0]!.hasThumbnail).toBe(true);
      expect((await readAll(carl, ids[0]!, 1)).bytes.equals(Buffer.from(report))).toBe(true);
      const pic = await readAll(carl, ids[0]!, 0);
      expect(pic.bytes.equals(Buffer.from(picture))).toBe(true);
      expect(pic.displayable).toBe(true);
      expect((await readAll(carl, ids[0]!, 0, 'thumbnail')).bytes.length).toBeGreaterThan(0);
      // The relay does see Bob's transfers: his download of the report crosses it.
      expect((await readAll(bob, original.id, 1)).bytes.equals(Buffer.from(report))).toBe(true);
      expect(relay.received).toBeGreaterThan(report.length);
    } finally {
      await bob.updateSettings({ proxy: { type: 'none', host: '', port: 1080, username: '', password: '' } });
      await relay.close();
      await proxy.stop();
    }
  });

  it("a forward deleted before it was sent leaves the original's file on this device", async () => {
    // Dana reaches the server through a relay that can cut her off.
    const endpoint = (await pair.bob.getSettings({})).servers[0]!;
    const relay = await startCountingRelay(endpoint.host, endpoint.port);
    const dana = await client(pair.root, 'dana', [{ ...endpoint, port: relay.port }], { backoffInitialMs: 100, backoffMaxMs: 300 });
    try {
      const d = await dana.register({ username: 'dana', password: PASSWORD });
      await waitOnline(dana);
      await befriend(dana, pair.bob);
      const toBob: ConversationKey = `u:${pair.bobId}`;
      const bytes = noise(300_000, 8);
      const staged = await stageBytes(dana, 'keep-me.bin', bytes);
      const original = await dana.sendMessage({ key: toBob, text: '', attachments: [staged.stagingId] });
      await delivered(dana, toBob, original.id);
      relay.pause();
      await waitFor(async () => ((await dana.getConnectionStatus({})).state !== 'online' ? true : null), 'dana offline');
      const { ids } = await dana.forwardMessages({ messageIds: [original.id], to: [toBob] });
      expect((await dana.loadMessages({ key: toBob })).messages.find((m) => m.id === ids[0])?.status).toBe('pending');
      await dana.deleteMessage({ messageId: ids[0]! });
      relay.resume();
      await waitOnline(dana);
      // The original's own copy is still here: read back without any download.
      const downloads = record(dana, 'transferProgress');
      expect((await readAll(dana, original.id, 0)).bytes.equals(Buffer.from(bytes))).toBe(true);
      expect(downloads.filter((e) => e.direction === 'download')).toHaveLength(0);
      // And the deleted forward never reached bob.
      const atBob = (await pair.bob.loadMessages({ key: `u:${d.profile.userId}` })).messages;
      expect(atBob.map((m) => m.id)).toEqual([original.id]);
    } finally {
      await dana.dispose();
      await relay.close();
    }
  });

  it('refuses to forward only recalled messages (nothing to forward) and an unknown one', async () => {
    const { alice } = pair;
    const staged = await stageBytes(alice, 'gone.bin', noise(1000, 3));
    const m = await alice.sendMessage({ key: pair.toBob, text: '', attachments: [staged.stagingId] });
    await delivered(alice, pair.toBob, m.id);
    await alice.recallMessage({ messageId: m.id });
    await waitFor(async () => ((await alice.loadMessages({ key: pair.toBob })).messages.find((x) => x.id === m.id)?.recalled ? true : null), 'recalled');
    await expect(alice.forwardMessages({ messageIds: [m.id], to: [pair.toBob] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(alice.forwardMessages({ messageIds: ['nope'], to: [pair.toBob] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
