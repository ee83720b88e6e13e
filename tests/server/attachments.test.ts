/**
 * Attachments through the whole server: tokens over the protocol, the tus
 * upload to the blob service, a message carrying the file, the receiver's
 * download and decryption; access rules, limits, bad input and cleanup.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { AttachmentKind, Command, ResultCode } from '../../shared/protocol';
import { cipherSize } from '../../shared/attachments/format';
import { DecryptStream } from '../../shared/node/attachments/file-cipher';
import type { TestClient } from './helpers/client';
import { serverFixture } from './helpers/server';
import { befriend, direct } from './helpers/social';
import { encrypt, errorCode, tusCreate, tusPatch, type Encrypted } from './blobs/helpers';

const fixture = serverFixture({ maxAttachmentBytes: 1024 * 1024, blobQuotaBytes: 3 * 1024 * 1024 });
const { user } = fixture;

const plain = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * seed + 11) & 0xff);

/** Encrypts, gets a token over the protocol, uploads with tus; returns the file and its BlobRef. */
async function uploadFile(client: TestClient, bytes: Uint8Array): Promise<Encrypted> {
  const file = await encrypt(bytes);
  const auth = await client.call(Command.BLOB_UPLOAD_AUTH, { digest: file.digest, cipherSize: BigInt(file.bytes.length), plainSize: BigInt(bytes.length) });
  expect(auth.alreadyStored).toBe(false);
  expect(auth.uploadUrl).toBe(`${fixture.server.blobUrl}/v1/uploads`);
  const created = await tusCreate(fixture.server.blobUrl, auth.token, file.bytes.length, file.digest);
  expect(created.status).toBe(201);
  expect(new URL(created.headers.get('location')!, fixture.server.blobUrl).toString()).toBe(auth.resumeUrl);
  expect((await tusPatch(auth.resumeUrl, auth.token, 0, file.bytes)).status).toBe(204);
  return file;
}

interface AttachmentInit {
  kind: AttachmentKind;
  blob: { digest: string; cipherSize: bigint; key: Uint8Array };
  size: bigint;
  name: string;
  mime: string;
  thumbhash?: Uint8Array;
}

function attachmentOf(file: Encrypted, size: number, name: string, extra: Partial<AttachmentInit> = {}): AttachmentInit {
  return { kind: AttachmentKind.FILE, blob: { digest: file.digest, cipherSize: BigInt(file.bytes.length), key: file.key }, size: BigInt(size), name, mime: 'application/pdf', ...extra };
}

async function download(client: TestClient, digest: string, range?: string): Promise<Response> {
  const auth = await client.call(Command.BLOB_DOWNLOAD_AUTH, { digest });
  return fetch(auth.url, { headers: { Authorization: `Bearer ${auth.token}`, ...(range ? { Range: range } : {}) } });
}

describe('attachments over the protocol', () => {
  it('login tells the limits; upload, send, and the receiver downloads and decrypts', async () => {
    const alice = await user('att_alice');
    const bob = await user('att_bob');
    await befriend(alice, bob);
    expect(Number(alice.login!.maxAttachmentSize)).toBe(1024 * 1024);
    expect(alice.login!.maxAttachmentsPerMessage).toBe(10);

    const content = plain(150_000, 3);
    const file = await uploadFile(alice, content);
    // Again: the server already holds it.
    const again = await alice.call(Command.BLOB_UPLOAD_AUTH, { digest: file.digest, cipherSize: BigInt(file.bytes.length), plainSize: BigInt(content.length) });
    expect(again.alreadyStored).toBe(true);

    // Before any message carries it, only the uploader may download it.
    expect(await bob.fails(Command.BLOB_DOWNLOAD_AUTH, { digest: file.digest })).toBe(ResultCode.NOT_FOUND);

    const ack = await alice.call(Command.MESSAGE_SEND, { to: direct(bob), clientMsgId: randomUUID(), text: '', attachments: [attachmentOf(file, content.length, '季度报告.pdf')] });
    const event = await bob.waitEvent('message', (m) => m.msgId === ack.msgId);
    expect(event.attachments).toHaveLength(1);
    const got = event.attachments[0]!;
    expect(got.name).toBe('季度报告.pdf');
    expect(Buffer.from(got.blob!.key).equals(Buffer.from(file.key))).toBe(true);

    const res = await download(bob, got.blob!.digest);
    expect(res.status).toBe(200);
    const parts: Buffer[] = [];
    await pipeline(Readable.fromWeb(res.body! as WebReadableStream), new DecryptStream(got.blob!.key, Number(got.blob!.cipherSize)), async (s: AsyncIterable<Buffer>) => {
      for await (const p of s) parts.push(p);
    });
    expect(Buffer.concat(parts).equals(Buffer.from(content))).toBe(true);

    // A stranger may not read it; after a recall, the receiver may not either.
    const eve = await user('att_eve');
    expect(await eve.fails(Command.BLOB_DOWNLOAD_AUTH, { digest: file.digest })).toBe(ResultCode.NOT_FOUND);
    await alice.call(Command.MESSAGE_RECALL, { msgId: ack.msgId });
    expect(await bob.fails(Command.BLOB_DOWNLOAD_AUTH, { digest: file.digest })).toBe(ResultCode.NOT_FOUND);
  });

  it('a file over the limit is refused before any upload; the quota is checked at token time', async () => {
    const carol = await user('att_carol');
    const over = 1024 * 1024 + 1;
    expect(await carol.fails(Command.BLOB_UPLOAD_AUTH, { digest: 'c'.repeat(64), cipherSize: BigInt(cipherSize(over)), plainSize: BigInt(over) })).toBe(ResultCode.FILE_TOO_LARGE);
    expect(await carol.fails(Command.BLOB_UPLOAD_AUTH, { digest: 'c'.repeat(64), cipherSize: 5n, plainSize: 5n })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await carol.fails(Command.BLOB_UPLOAD_AUTH, { digest: 'NOT-HEX', cipherSize: 5n, plainSize: 5n })).toBe(ResultCode.INVALID_ARGUMENT);
    for (let i = 0; i < 3; i++) await uploadFile(carol, plain(1000 * 1000, i + 2));
    const size = 900 * 1000;
    expect(await carol.fails(Command.BLOB_UPLOAD_AUTH, { digest: 'd'.repeat(64), cipherSize: BigInt(cipherSize(size)), plainSize: BigInt(size) })).toBe(ResultCode.QUOTA_EXCEEDED);
  });

  it('messages naming blobs that were not uploaded, or with bad fields, are refused', async () => {
    const dave = await user('att_dave');
    const erin = await user('att_erin');
    await befriend(dave, erin);
    const file = await uploadFile(dave, plain(1000));
    const send = (a: ReturnType<typeof attachmentOf>) => dave.fails(Command.MESSAGE_SEND, { to: direct(erin), clientMsgId: randomUUID(), text: 'x', attachments: [a] });
    const ghost = await encrypt(plain(1000, 9));
    expect(await send(attachmentOf(ghost, 1000, 'ghost.pdf'))).toBe(ResultCode.BLOB_NOT_UPLOADED);
    for (const name of ['../../x', 'a/b', 'nul\u0000.txt', 'ctl\u001b.txt', 'x'.repeat(300), '', 'evil\u202Efdp.exe']) {
      expect(await send(attachmentOf(file, 1000, name)), JSON.stringify(name)).toBe(ResultCode.INVALID_ARGUMENT);
    }
    expect(await send(attachmentOf(file, 999, 'size.pdf'))).toBe(ResultCode.INVALID_ARGUMENT); // cipher_size does not match size
    expect(await send({ ...attachmentOf(file, 1000, 'k.pdf'), blob: { digest: file.digest, cipherSize: BigInt(file.bytes.length), key: new Uint8Array(5) } })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await send(attachmentOf(file, 1000, 'm.pdf', { mime: 'not a type' }))).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await send(attachmentOf(file, 1000, 't.png', { kind: AttachmentKind.IMAGE, thumbhash: new Uint8Array(65) }))).toBe(ResultCode.INVALID_ARGUMENT);
    // Erin cannot send Dave's blob, which she never received.
    expect(await erin.fails(Command.MESSAGE_SEND, { to: direct(dave), clientMsgId: randomUUID(), text: '', attachments: [attachmentOf(file, 1000, 'steal.pdf')] })).toBe(ResultCode.BLOB_NOT_UPLOADED);
    // A zero-byte file is fine.
    const empty = await uploadFile(dave, new Uint8Array(0));
    await dave.call(Command.MESSAGE_SEND, { to: direct(erin), clientMsgId: randomUUID(), text: '', attachments: [attachmentOf(empty, 0, 'empty.txt', { mime: 'text/plain' })] });
  });

  it('a token issued to one user is useless to another, and the wrong digest stores nothing', async () => {
    const frank = await user('att_frank');
    const grace = await user('att_grace');
    const file = await encrypt(plain(5000));
    const auth = await frank.call(Command.BLOB_UPLOAD_AUTH, { digest: file.digest, cipherSize: BigInt(file.bytes.length), plainSize: 5000n });
    // Grace uses Frank's upload URL with her own token for the same digest: another user's upload.
    const hers = await grace.call(Command.BLOB_UPLOAD_AUTH, { digest: file.digest, cipherSize: BigInt(file.bytes.length), plainSize: 5000n });
    await tusCreate(fixture.server.blobUrl, auth.token, file.bytes.length, file.digest);
    const res = await tusPatch(auth.resumeUrl, hers.token, 0, file.bytes);
    expect([res.status, await errorCode(res)]).toEqual([403, 'token-scope']);
    // Frank uploads other bytes under this digest.
    const other = await encrypt(plain(5000, 7));
    const bad = await tusPatch(auth.resumeUrl, auth.token, 0, other.bytes);
    expect([bad.status, await errorCode(bad)]).toEqual([422, 'digest-mismatch']);
    expect(await frank.fails(Command.BLOB_DOWNLOAD_AUTH, { digest: file.digest })).toBe(ResultCode.NOT_FOUND);
  });
});
