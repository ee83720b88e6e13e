/**
 * Attachments benchmark: a 100 MiB file up and down over loopback, against
 * the real server in a child process (so its memory and CPU are its own).
 *
 *   npm run bench -- attachments [--mib N] [--out FILE]
 *
 * - upload: the sender's core encrypts the file from disk into its staging
 *   folder (reported apart: `stage`), then `sendMessage` uploads it with tus
 *   through the outbox; timed from the send to the server's ack.
 * - download: the receiver's core fetches it with ranges, verifying every
 *   chunk, into its cache; then reads it back decrypted to check it.
 * - peakRssGrowthMib: the highest RSS seen (sampled every 20 ms) minus the
 *   RSS before the step, for this process (the client cores) and for the
 *   server process (/proc/PID/status). The goal is < 64: streaming, never a
 *   whole file in memory.
 * - CPU seconds per MiB, for this process and the server (utime+stime).
 * - thumbnail: time from the message of a 12-megapixel photo reaching the
 *   receiver to its thumbnail being decrypted and readable. The thumbnail
 *   (480 x 360) is made here: in the app the renderer's canvas draws it on
 *   the sender's side before sending (CLIENT.md, Attachments).
 * - resume: an upload of the same size cut at 50% by SIGKILL of the server;
 *   after the restart, where the upload continued and how many bytes were
 *   sent twice (`resentBytes`: sent before the cut but not kept by the server).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConversationKey, TransferProgress } from '../../shared/ipc';
import type { ClientCore } from '../../electron/core/index';
import { befriend, client, PASSWORD, waitFor, waitOnline } from '../core/helpers/clients';
import { childServer, tempDir, type ChildServer } from '../core/helpers/server';
import { png } from '../core/attachments/helpers';
import { cpuSeconds } from './proc';

const MIB = 1024 * 1024;

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples the RSS of this process and the server while `fn` runs; returns the growth over the start (MiB). */
async function watched<T>(server: ChildServer, fn: () => Promise<T>): Promise<{ value: T; seconds: number; client: { peakRssGrowthMib: number; cpuSeconds: number }; server: { peakRssGrowthMib: number; cpuSeconds: number } }> {
  const pid = server.child.pid!;
  global.gc?.();
  const base = { me: process.memoryUsage().rss, server: rssOf(pid) };
  const peak = { ...base };
  const cpu0 = { me: process.cpuUsage(), server: cpuSeconds(pid) };
  const timer = setInterval(() => {
    peak.me = Math.max(peak.me, process.memoryUsage().rss);
    try {
      peak.server = Math.max(peak.server, rssOf(pid));
    } catch {
      // the server is being restarted
    }
  }, 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    const seconds = (performance.now() - t0) / 1000;
    const me = process.cpuUsage(cpu0.me);
    return {
      value,
      seconds,
      client: { peakRssGrowthMib: round((peak.me - base.me) / MIB), cpuSeconds: round((me.user + me.system) / 1e6) },
      server: { peakRssGrowthMib: round((peak.server - base.server) / MIB), cpuSeconds: round(cpuSeconds(pid) - cpu0.server) },
    };
  } finally {
    clearInterval(timer);
  }
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A file of pseudo-random bytes (incompressible, like a video), written in 1 MiB pieces. */
function writeNoise(path: string, size: number, seed: number): void {
  writeFileSync(path, '');
  let x = seed >>> 0 || 1;
  const piece = Buffer.alloc(MIB);
  for (let done = 0; done < size; done += MIB) {
    for (let i = 0; i < MIB; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      piece.writeUInt32LE(x >>> 0, i);
    }
    writeFileSync(path, piece.subarray(0, Math.min(MIB, size - done)), { flag: 'a' });
  }
}

async function arrival(core: ClientCore, key: ConversationKey, id: string): Promise<void> {
  await waitFor(async () => (await core.loadMessages({ key, limit: 5 })).messages.some((m) => m.id === id && m.attachments), `message ${id} arrives`, 120_000);
}

async function acked(core: ClientCore, key: ConversationKey, id: string): Promise<void> {
  await waitFor(async () => {
    const m = (await core.loadMessages({ key, limit: 5 })).messages.find((x) => x.id === id);
    if (m?.status === 'failed') throw new Error(`send failed: ${m.error?.code}`);
    return m && m.status !== 'pending';
  }, `message ${id} acknowledged`, 300_000);
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const size = Math.round(option(args, 'mib', 100) * MIB);
  const root = tempDir('bench-attachments');
  const source = join(root, 'video.bin');
  writeNoise(source, size, 7);
  const env = { TERN_SERVER_MAX_ATTACHMENT_BYTES: String(Math.max(size, 100 * MIB)) };
  let server = await childServer(join(root, 'server'), 0, env);
  const timings = { transferRetryMs: 200, backoffInitialMs: 200, backoffMaxMs: 1000 };
  const alice = await client(root, 'alice', [server.endpoint], timings);
  const bob = await client(root, 'bob', [server.endpoint], timings);
  try {
    const a = await alice.register({ username: 'alice', password: PASSWORD });
    const b = await bob.register({ username: 'bob', password: PASSWORD });
    await waitOnline(alice);
    await waitOnline(bob);
    await befriend(alice, bob);
    const toBob: ConversationKey = `u:${b.profile.userId}`;
    const toAlice: ConversationKey = `u:${a.profile.userId}`;
    console.log(`attachments: ${size / MIB} MiB file, server pid ${server.child.pid}`);

    // Upload.
    const stage = await watched(server, () => alice.stageAttachmentFile({ path: source }));
    const upload = await watched(server, async () => {
      const sent = await alice.sendMessage({ key: toBob, text: 'the video', attachments: [stage.value.stagingId] });
      await acked(alice, toBob, sent.id);
      return sent;
    });
    const uploadMibPerS = round(size / MIB / upload.seconds);
    console.log(`  stage (encrypt to disk) ${round(stage.seconds)} s; upload ${uploadMibPerS} MiB/s, client +${upload.client.peakRssGrowthMib} MiB RSS, server +${upload.server.peakRssGrowthMib} MiB RSS`);

    // Download.
    await arrival(bob, toAlice, upload.value.id);
    const download = await watched(server, () => bob.downloadAttachment({ messageId: upload.value.id, index: 0 }));
    const downloadMibPerS = round(size / MIB / download.seconds);
    console.log(`  download ${downloadMibPerS} MiB/s, client +${download.client.peakRssGrowthMib} MiB RSS, server +${download.server.peakRssGrowthMib} MiB RSS`);
    // Read back (decrypted) and compare a sample of slices with the source.
    const original = readFileSync(source);
    for (const offset of [0, Math.floor(size / 2), size - 1000]) {
      const got = await bob.readAttachment({ messageId: upload.value.id, index: 0, offset, length: 1000 });
      if (!Buffer.from(got.data, 'base64').equals(original.subarray(offset, offset + 1000))) throw new Error(`downloaded bytes differ at ${offset}`);
    }

    // Time to a thumbnail on the receiver: a 12-megapixel photo with its thumbnail.
    const photo = png(4000, 3000);
    const photoPath = join(root, 'photo.png');
    writeFileSync(photoPath, photo);
    const staged = await alice.stageAttachmentFile({ path: photoPath });
    const thumb = Buffer.from(png(480, 360)).toString('base64');
    await alice.setAttachmentThumbnail({ stagingId: staged.stagingId, thumbnail: thumb, thumbhash: Buffer.alloc(24, 7).toString('base64') });
    const photoMsg = await alice.sendMessage({ key: toBob, text: '', attachments: [staged.stagingId] });
    await arrival(bob, toAlice, photoMsg.id);
    const t0 = performance.now();
    const thumbBytes = await bob.readAttachment({ messageId: photoMsg.id, index: 0, part: 'thumbnail' });
    const thumbnailMs = round(performance.now() - t0, 1);
    if (!thumbBytes.displayable) throw new Error('thumbnail not displayable');
    console.log(`  12 MP photo (${round(photo.length / MIB)} MiB PNG): thumbnail on the receiver in ${thumbnailMs} ms after the message`);

    // Resume after a cut at 50%.
    const second = await alice.stageAttachmentFile({ path: source });
    let cutAt = 0;
    let cut = false;
    const after: TransferProgress[] = [];
    alice.on('transferProgress', (p) => {
      if (p.direction !== 'upload' || p.part !== 'file') return;
      if (!cut && p.state === 'running' && p.bytes >= p.total / 2) {
        cut = true;
        cutAt = p.bytes;
        server.signal('SIGKILL');
      } else if (cut) after.push(p);
    });
    const resent = await alice.sendMessage({ key: toBob, text: 'again', attachments: [second.stagingId] });
    await waitFor(async () => cut, 'the cut', 300_000);
    await server.exited;
    server = await childServer(server.dataDir, server.endpoint.port, env);
    await acked(alice, toBob, resent.id);
    const resumedAt = Math.min(...after.filter((p) => p.state === 'running').map((p) => p.bytes));
    const resentBytes = Math.max(0, cutAt - resumedAt);
    console.log(`  resume: cut at ${round(cutAt / MIB)} MiB, continued from ${round(resumedAt / MIB)} MiB: ${round(resentBytes / MIB)} MiB sent again`);

    return {
      fileMib: size / MIB,
      stage: { seconds: round(stage.seconds), client: stage.client },
      upload: { mibPerS: uploadMibPerS, seconds: round(upload.seconds), client: { ...upload.client, cpuSecondsPerMib: round(upload.client.cpuSeconds / (size / MIB), 4) }, server: { ...upload.server, cpuSecondsPerMib: round(upload.server.cpuSeconds / (size / MIB), 4) } },
      download: { mibPerS: downloadMibPerS, seconds: round(download.seconds), client: { ...download.client, cpuSecondsPerMib: round(download.client.cpuSeconds / (size / MIB), 4) }, server: { ...download.server, cpuSecondsPerMib: round(download.server.cpuSeconds / (size / MIB), 4) } },
      peakRssGrowthMib: {
        client: Math.max(stage.client.peakRssGrowthMib, upload.client.peakRssGrowthMib, download.client.peakRssGrowthMib),
        server: Math.max(upload.server.peakRssGrowthMib, download.server.peakRssGrowthMib),
      },
      thumbnail: { photoMegapixels: 12, photoBytes: photo.length, msAfterMessage: thumbnailMs },
      resume: { cutAtBytes: cutAt, resumedAtBytes: resumedAt, resentBytes, totalCipherBytes: after.at(-1)?.total ?? 0 },
    };
  } finally {
    await alice.dispose().catch(() => undefined);
    await bob.dispose().catch(() => undefined);
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
