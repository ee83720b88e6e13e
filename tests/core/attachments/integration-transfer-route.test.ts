/**
 * How transfers travel: upload progress re-based on what the server
 * acknowledged (a PATCH per chunk) with a last update at every byte stored;
 * uploads and downloads through the proxy of the settings (real microsocks
 * and tinyproxy, with a counting relay in front that shows the file's bytes
 * went through the proxy); a wrong proxy password a clear transfer error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationKey, ProxySettings, TransferProgress } from '../../../shared/ipc';
import type { ClientCore } from '../../../electron/core/index';
import { CHUNK_BYTES } from '../../../electron/core/attachments/tus-upload';
import { startCountingRelay, type CountingRelay } from '../../support/counting-relay';
import { startProxy, type TestProxy } from '../../support/proxies';
import { record } from '../helpers/clients';
import { noise, readAll, stageBytes } from './helpers';
import { delivered, friendsOverServer, received, type Pair } from './pair';

let pair: Pair;
let alice: ClientCore;
let bob: ClientCore;
let toBob: ConversationKey;
let toAlice: ConversationKey;
const proxies: TestProxy[] = [];
const relays: CountingRelay[] = [];
const DIRECT: ProxySettings = { type: 'none', host: '', port: 1080, username: '', password: '' };

beforeAll(async () => {
  pair = await friendsOverServer('transfer-route', { maxAttachmentBytes: 16 * 1024 * 1024 }, { transferRetryMs: 50 });
  ({ alice, bob, toBob, toAlice } = pair);
});

afterAll(async () => {
  await pair?.close();
  for (const r of relays) await r.close();
  for (const p of proxies) await p.stop();
});

/** A real proxy requiring a password, with a counting relay in front: the setting names the relay. */
async function countedProxy(type: 'socks5' | 'http'): Promise<{ relay: CountingRelay; setting: ProxySettings }> {
  const proxy = await startProxy(type, { username: 'tern', password: 'proxy-pass' });
  proxies.push(proxy);
  const relay = await startCountingRelay(proxy.config.host, proxy.config.port);
  relays.push(relay);
  return { relay, setting: { type, host: '127.0.0.1', port: relay.port, username: 'tern', password: 'proxy-pass' } };
}

describe('upload progress', () => {
  it('is re-based on the offset the server acknowledged after each chunk, never ahead of it by a chunk, and ends with every byte stored', async () => {
    const bytes = noise(10 * 1024 * 1024 + 12_345, 7);
    const staged = await stageBytes(alice, 'big.bin', bytes, 1024 * 1024);
    const events = record(alice, 'transferProgress');
    const sent = await alice.sendMessage({ key: toBob, text: '', attachments: [staged.stagingId] });
    await delivered(alice, toBob, sent.id, 120_000);
    const mine = events.filter((e: TransferProgress) => e.messageId === sent.id && e.direction === 'upload');
    const total = mine[0]!.total;
    expect(total).toBeGreaterThan(bytes.length); // ciphertext: header and a tag per chunk
    const running = mine.filter((e) => e.state === 'running');
    // Monotonic: a resume never happened here, so nothing goes back.
    for (let i = 1; i < running.length; i++) expect(running[i]!.bytes).toBeGreaterThanOrEqual(running[i - 1]!.bytes);
    // Every chunk the server acknowledged is told, whatever the throttle: 4 MiB, 8 MiB, then the whole file.
    const told = new Set(running.map((e) => e.bytes));
    for (let at = CHUNK_BYTES; at < total; at += CHUNK_BYTES) expect(told.has(at), `acknowledged ${at}`).toBe(true);
    // The trailing update: the last running event says every byte is stored, before 'done'.
    expect(running.at(-1)!.bytes).toBe(total);
    expect(mine.at(-1)!.state).toBe('done');
    expect(mine.at(-1)!.bytes).toBe(total);
    // Bytes only handed to the socket never show the file (or the next chunk boundary) as reached.
    expect(running.filter((e) => e.bytes === total)).toHaveLength(1);
  });
});

describe('transfers through the proxy of the settings', () => {
  for (const type of ['socks5', 'http'] as const) {
    it(`uploads and downloads through a ${type} proxy with a password (the file's bytes cross it both ways)`, async () => {
      const up = await countedProxy(type);
      const down = await countedProxy(type);
      await alice.updateSettings({ proxy: up.setting });
      await bob.updateSettings({ proxy: down.setting });
      try {
        const bytes = noise(3 * 1024 * 1024, type === 'http' ? 11 : 13);
        const staged = await stageBytes(alice, `via-${type}.bin`, bytes, 1024 * 1024);
        const sent = await alice.sendMessage({ key: toBob, text: '', attachments: [staged.stagingId] });
        await delivered(alice, toBob, sent.id);
        // The TCP channel was up before the setting changed: whatever crossed the relay is the upload.
        expect(up.relay.sent).toBeGreaterThanOrEqual(bytes.length);
        await received(bob, toAlice, sent.id);
        await bob.downloadAttachment({ messageId: sent.id, index: 0 });
        expect(down.relay.received).toBeGreaterThanOrEqual(bytes.length);
        expect((await readAll(bob, sent.id, 0)).bytes.equals(Buffer.from(bytes))).toBe(true);
      } finally {
        await alice.updateSettings({ proxy: DIRECT });
        await bob.updateSettings({ proxy: DIRECT });
      }
    });
  }

  it('a proxy that refuses the password fails the download with an error that names the proxy; nothing is kept', async () => {
    const bytes = noise(200_000, 17);
    const staged = await stageBytes(alice, 'refused.bin', bytes);
    const sent = await alice.sendMessage({ key: toBob, text: '', attachments: [staged.stagingId] });
    await delivered(alice, toBob, sent.id);
    await received(bob, toAlice, sent.id);
    const proxy = await startProxy('socks5', { username: 'tern', password: 'right' });
    proxies.push(proxy);
    await bob.updateSettings({ proxy: { type: 'socks5', host: '127.0.0.1', port: proxy.config.port, username: 'tern', password: 'wrong' } });
    try {
      const err = await bob.downloadAttachment({ messageId: sent.id, index: 0 }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err).not.toBeNull();
      expect(err!.code).toBe('UNAVAILABLE');
      expect(err!.message).toMatch(/proxy/i);
      expect(err!.message).not.toContain('wrong');
      const view = (await bob.loadMessages({ key: toAlice })).messages.find((m) => m.id === sent.id)!;
      expect(view.attachments![0]!.downloaded).toBe(false);
    } finally {
      await bob.updateSettings({ proxy: DIRECT });
    }
    // Direct again: the same download goes through.
    await bob.downloadAttachment({ messageId: sent.id, index: 0 });
    expect((await readAll(bob, sent.id, 0)).bytes.equals(Buffer.from(bytes))).toBe(true);
  });
});
