/**
 * Uploads that are cut: by a server crash (a real server process, SIGKILL,
 * restarted on the same port and data), by the app stopping mid-upload (a
 * new core on the same data directory), and by the user (cancel, then
 * resend). Each resumes where the server stopped, and the message arrives
 * once.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationKey, MessageView, TransferProgress } from '../../../shared/ipc';
import type { ClientCore } from '../../../electron/core/index';
import { befriend, client, PASSWORD, waitFor, waitOnline } from '../helpers/clients';
import { childServer, inProcessServer, tempDir, type ChildServer } from '../helpers/server';
import { noise, readAll } from './helpers';
import { freePort } from '../../support/postgres';

const timings = { backoffInitialMs: 200, backoffMaxMs: 1000 };
const SIZE = 24 * 1024 * 1024;
let root: string;
let content: Uint8Array;
let sourcePath: string;

beforeAll(() => {
  root = tempDir('resume');
  content = noise(SIZE, 99);
  sourcePath = join(root, 'video.bin');
  writeFileSync(sourcePath, content);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function pair(dir: string, endpoint: { host: string; port: number; publicKey: string }): Promise<{ alice: ClientCore; bob: ClientCore; toBob: ConversationKey; toAlice: ConversationKey }> {
  const alice = await client(dir, 'alice', [endpoint], timings);
  const bob = await client(dir, 'bob', [endpoint], timings);
  const a = await alice.register({ username: 'alice', password: PASSWORD });
  const b = await bob.register({ username: 'bob', password: PASSWORD });
  await waitOnline(alice);
  await waitOnline(bob);
  await befriend(alice, bob);
  return { alice, bob, toBob: `u:${b.profile.userId}`, toAlice: `u:${a.profile.userId}` };
}

/** Every upload progress event of `core`. */
function recordUploads(core: ClientCore): { uploads: TransferProgress[] } {
  const uploads: TransferProgress[] = [];
  core.on('transferProgress', (p) => {
    if (p.direction === 'upload') uploads.push(p);
  });
  return { uploads };
}

/** Calls `cut` once, from inside the progress event, when the upload of `id` passed half way. */
function cutAtHalf(core: ClientCore, cut: (p: TransferProgress) => void): { uploads: TransferProgress[]; sentBeforeCut: () => number } {
  const uploads: TransferProgress[] = [];
  let done = false;
  let before = 0;
  core.on('transferProgress', (p) => {
    if (p.direction !== 'upload') return;
    uploads.push(p);
    if (!done && p.bytes >= p.total / 2) {
      done = true;
      before = p.bytes;
      cut(p);
    }
  });
  return { uploads, sentBeforeCut: () => before };
}

/**
 * A relay in front of the blob service that, while held, stops reading from
 * the client (`up`, an upload) or from the server (`down`, a download) after
 * `holdAfter` bytes that way: the sender's socket fills and the transfer
 * stays in the middle, whatever the machine's speed (on an idle machine
 * loopback would finish 24 MiB before a cut could land).
 */
interface HoldingRelay {
  port: number;
  /** Resolves once the upload is held (the relay stopped reading from the client). */
  held(): Promise<void>;
  release(): void;
  stop(): Promise<void>;
}
async function holdingRelay(target: number, holdAfter: number, direction: 'up' | 'down' = 'up'): Promise<HoldingRelay> {
  let held = true;
  let forwarded = 0;
  const paused = new Set<Socket>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: target });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    const [from, to] = direction === 'up' ? [client, upstream] : [upstream, client];
    from.on('data', (chunk: Buffer) => {
      to.write(chunk);
      forwarded += chunk.length;
      if (held && forwarded >= holdAfter) {
        from.pause();
        paused.add(from);
      }
    });
    to.pipe(from);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    held: () => waitFor(() => (paused.size > 0 ? true : undefined), 'the relay to hold the upload', 60_000).then(() => undefined),
    release: () => {
      held = false;
      for (const c of paused) c.resume();
      paused.clear();
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** SIGKILLs the server as soon as an upload's staging file there holds at least 1 MiB. */
async function killOnceStored(server: ChildServer, uploads: string): Promise<void> {
  await waitFor(() => {
    let stored = 0;
    for (const f of existsSync(uploads) ? readdirSync(uploads) : []) stored = Math.max(stored, statSync(join(uploads, f)).size);
    return stored >= 1024 * 1024;
  }, 'the server to store part of the upload', 60_000);
  server.signal('SIGKILL');
}

/** Disposes the cores, then stops the server and the relay. */
async function closeAll(cores: ClientCore[], server: { stop(): Promise<void> }, relay: HoldingRelay): Promise<void> {
  for (const core of cores) await core.dispose();
  await server.stop();
  await relay.stop();
}

async function arrives(core: ClientCore, key: ConversationKey, id: string): Promise<MessageView> {
  return waitFor(async () => (await core.loadMessages({ key })).messages.find((m) => m.id === id), `message ${id} arrives`, 60_000);
}

describe('an upload cut half way resumes', () => {
  it('after the server crashes and comes back on the same data', async () => {
    const dir = join(root, 'crash');
    const blobPort = await freePort();
    const relay = await holdingRelay(blobPort, SIZE / 2);
    const env = { TERN_SERVER_BLOB_PORT: String(blobPort), TERN_SERVER_BLOB_PUBLIC_URL: `http://127.0.0.1:${relay.port}` };
    let server: ChildServer = await childServer(join(dir, 'server'), 0, env);
    const { alice, bob, toBob, toAlice } = await pair(dir, server.endpoint);
    try {
      const staged = await alice.stageAttachmentFile({ path: sourcePath });
      // The relay holds the upload half way; the server is killed once it has stored some of it.
      const watch = recordUploads(alice);
      const sent = await alice.sendMessage({ key: toBob, text: 'big one', attachments: [staged.stagingId] });
      await relay.held();
      await killOnceStored(server, join(dir, 'server', 'uploads'));
      await server.exited;
      const cutAt = watch.uploads.length;
      relay.release();
      server = await childServer(join(dir, 'server'), server.endpoint.port, env);
      const got = await arrives(bob, toAlice, sent.id);
      // It resumed: after the restart the upload took up where the server stopped (told before any byte moves), not at 0.
      const after = watch.uploads.slice(cutAt);
      const resumedAt = Math.max(0, ...after.filter((p) => p.state === 'queued').map((p) => p.bytes));
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThan(watch.uploads[0]!.total);
      expect(watch.uploads.at(-1)).toMatchObject({ state: 'done' });
      expect(got.attachments?.[0]).toMatchObject({ size: SIZE, name: 'video.bin' });
      expect((await readAll(bob, sent.id, 0)).bytes.equals(Buffer.from(content))).toBe(true);
      // Once: the resend after the crash did not make a second message.
      expect((await bob.loadMessages({ key: toAlice })).messages.filter((m) => m.attachments).length).toBe(1);
    } finally {
      await closeAll([alice, bob], server, relay);
    }
  }, 120_000);

  it('after the app stops mid-upload and starts again (the outbox and the staged file are on disk)', async () => {
    const dir = join(root, 'restart');
    const s = await inProcessServer(join(dir, 'server'), { maxAttachmentBytes: 64 * 1024 * 1024 });
    const { bob, toBob, toAlice, ...first0 } = await pair(dir, s.endpoint);
    let alice = first0.alice;
    try {
      const staged = await alice.stageAttachmentFile({ path: sourcePath });
      const first = alice;
      let stopping: Promise<void> | undefined;
      const watch = cutAtHalf(first, () => {
        stopping = first.dispose();
      });
      const sent = await alice.sendMessage({ key: toBob, text: '', attachments: [staged.stagingId] });
      await waitFor(() => stopping !== undefined, 'the app stopped mid-upload');
      await stopping;
      expect(watch.uploads.some((p) => p.state === 'done')).toBe(false);

      alice = await client(dir, 'alice', [s.endpoint], timings);
      const resumed: TransferProgress[] = [];
      alice.on('transferProgress', (p) => resumed.push(p));
      await alice.login({ username: 'alice' });
      const got = await arrives(bob, toAlice, sent.id);
      expect(Math.min(...resumed.filter((p) => p.state === 'running').map((p) => p.bytes))).toBeGreaterThan(0);
      expect((await readAll(bob, sent.id, 0)).bytes.equals(Buffer.from(content))).toBe(true);
      expect(got.attachments?.[0]?.size).toBe(SIZE);
      const mine = await waitFor(async () => (await alice.loadMessages({ key: toBob })).messages.find((m) => m.id === sent.id && m.status !== 'pending'), 'acknowledged');
      expect(mine.status).not.toBe('failed');
    } finally {
      await alice.dispose();
      await bob.dispose();
      await s.server.close();
    }
  }, 120_000);

  it('deleting the message mid-upload stops the upload and removes its encrypted copy from disk', async () => {
    const dir = join(root, 'delete');
    const blobPort = await freePort();
    const relay = await holdingRelay(blobPort, SIZE / 2);
    const s = await inProcessServer(join(dir, 'server'), { maxAttachmentBytes: 64 * 1024 * 1024, blobPort, blobPublicUrl: `http://127.0.0.1:${relay.port}` });
    const { alice, bob, toBob } = await pair(dir, s.endpoint);
    // The encrypted copy is the only file in Alice's data at least as large as the content.
    const bigFiles = async (): Promise<string[]> => {
      const entries = await readdir(join(dir, 'alice'), { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile() && statSync(join(e.parentPath, e.name)).size >= SIZE).map((e) => e.name);
    };
    try {
      const staged = await alice.stageAttachmentFile({ path: sourcePath });
      const watch = recordUploads(alice);
      const sent = await alice.sendMessage({ key: toBob, text: 'delete me', attachments: [staged.stagingId] });
      expect(await bigFiles()).toHaveLength(1);
      await relay.held();
      await alice.deleteMessage({ messageId: sent.id });
      await waitFor(() => watch.uploads.at(-1)?.state === 'cancelled' || undefined, 'the upload stops', 60_000);
      await waitFor(async () => ((await bigFiles()).length === 0 ? true : undefined), 'the encrypted copy is removed', 60_000);
      expect((await alice.loadMessages({ key: toBob })).messages.some((m) => m.id === sent.id)).toBe(false);
    } finally {
      await alice.dispose();
      await bob.dispose();
      await s.server.close();
      await relay.stop();
    }
  }, 120_000);

  it('cancel stops the upload and fails the message (CANCELLED); resend finishes it from where it stopped', async () => {
    const dir = join(root, 'cancel');
    const blobPort = await freePort();
    const relay = await holdingRelay(blobPort, SIZE / 2);
    const s = await inProcessServer(join(dir, 'server'), { maxAttachmentBytes: 64 * 1024 * 1024, blobPort, blobPublicUrl: `http://127.0.0.1:${relay.port}` });
    const { alice, bob, toBob, toAlice } = await pair(dir, s.endpoint);
    try {
      const staged = await alice.stageAttachmentFile({ path: sourcePath });
      const watch = recordUploads(alice);
      const sent = await alice.sendMessage({ key: toBob, text: 'cancel me', attachments: [staged.stagingId] });
      const id = sent.id;
      await relay.held();
      await alice.cancelTransfer({ messageId: id, index: 0 });
      const failed = await waitFor(async () => (await alice.loadMessages({ key: toBob })).messages.find((m) => m.id === id && m.status === 'failed'), 'failed', 60_000);
      expect(failed.error?.code).toBe('CANCELLED');
      expect(watch.uploads.at(-1)?.state).toBe('cancelled');
      relay.release();
      await alice.resendMessage({ messageId: id });
      await arrives(bob, toAlice, id);
      expect((await readAll(bob, id, 0)).bytes.equals(Buffer.from(content))).toBe(true);
    } finally {
      await alice.dispose();
      await bob.dispose();
      await s.server.close();
      await relay.stop();
    }
  }, 120_000);
});

describe('a download cut half way goes on', () => {
  it('after the server crashes and comes back: it waits for the connection (and says so), then finishes, never failing', async () => {
    const dir = join(root, 'download-crash');
    const size = 4 * 1024 * 1024;
    const file = noise(size, 7);
    const filePath = join(root, 'download.bin');
    writeFileSync(filePath, file);
    const blobPort = await freePort();
    const relay = await holdingRelay(blobPort, size / 2, 'down');
    const env = { TERN_SERVER_BLOB_PORT: String(blobPort), TERN_SERVER_BLOB_PUBLIC_URL: `http://127.0.0.1:${relay.port}` };
    let server: ChildServer = await childServer(join(dir, 'server'), 0, env);
    const { alice, bob, toBob, toAlice } = await pair(dir, server.endpoint);
    try {
      const staged = await alice.stageAttachmentFile({ path: filePath });
      const sent = await alice.sendMessage({ key: toBob, text: 'download me', attachments: [staged.stagingId] });
      await arrives(bob, toAlice, sent.id);
      const events: TransferProgress[] = [];
      bob.on('transferProgress', (p) => {
        if (p.direction === 'download' && p.part === 'file') events.push(p);
      });
      const download = bob.downloadAttachment({ messageId: sent.id, index: 0 }).then(
        () => 'done',
        (err: unknown) => err,
      );
      // Half the file is through when the server dies.
      await relay.held();
      server.signal('SIGKILL');
      await server.exited;
      const after = await waitFor(
        () => events.find((p) => p.state === 'failed' || (p.state === 'queued' && p.error?.code === 'OFFLINE')),
        'the cut download to wait for the connection (or fail)',
        60_000,
      );
      expect(after).toMatchObject({ state: 'queued', error: { code: 'OFFLINE' } });
      relay.release();
      server = await childServer(join(dir, 'server'), server.endpoint.port, env);
      expect(await download).toBe('done');
      expect(events.filter((p) => p.state === 'failed')).toEqual([]);
      expect(events.at(-1)).toMatchObject({ state: 'done' });
      expect((await readAll(bob, sent.id, 0)).bytes.equals(Buffer.from(file))).toBe(true);
    } finally {
      await closeAll([alice, bob], server, relay);
    }
  }, 120_000);
});
