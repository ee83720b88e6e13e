/**
 * The server's data directory turns read-only, or fills up, under a running
 * server: it must refuse the writes with an error and never acknowledge what
 * it did not store; once the disk is writable again, what the users resend
 * arrives once. The data directory is a small tmpfs of its own (root only:
 * skipped with the reason elsewhere).
 */
import { randomUUID } from 'node:crypto';
import { openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageView } from '../../shared/ipc';
import { decodeKey } from '../../shared/node/noise/keys';
import { fromBinary } from '@bufbuild/protobuf';
import { Command, ResultCode, SyncEventSchema } from '../../shared/protocol';
import { RequestError, TestClient } from '../server/helpers/client';
import { befriend, direct, sendText } from '../server/helpers/social';
import { diskFaultsUnavailable, SmallDisk } from './support/disk';
import { chaosSeed } from './support/mode';
import { messageText } from './support/traffic';
import { World } from './support/world';

const unavailable = diskFaultsUnavailable();
if (unavailable) console.warn(`chaos disk: skipped: ${unavailable}`);

const seed = chaosSeed(1503);
let world: World;
let disk: SmallDisk;

beforeAll(async () => {
  if (unavailable) return;
  console.log(`chaos disk: seed ${seed}`);
  world = await World.create({
    name: 'disk',
    participants: 2,
    seed,
    serverDataDir: (root, w) => {
      disk = SmallDisk.create(root, 48);
      w.onDispose(() => disk.dispose());
      return join(disk.path, 'server');
    },
  });
});

afterAll(async () => {
  if (unavailable) return;
  await world?.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `n` messages 1 → 0 during a fault and returns their states after `ms`. */
async function sendDuringFault(n: number, tag: string, ms: number): Promise<MessageView[]> {
  const p = world.p(1);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await p.send(world.direct(1, 0), messageText(tag)));
  await sleep(ms);
  const msgs = (await p.core.loadMessages({ key: world.direct(1, 0), limit: 200 })).messages;
  return msgs.filter((m) => ids.includes(m.id));
}

/** Fills the filesystem to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(1 << 20);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    // Then the last partial block's worth.
    for (let size = 1 << 19; size >= 1; size >>= 1) {
      try {
        for (;;) writeSync(fd, block.subarray(0, size));
      } catch {
        // next smaller size
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

describe.skipIf(unavailable !== undefined)('disk faults on the server', () => {
  it('a read-only data directory: the server refuses to start with a clear error; clients keep their outbox; recovery after', async () => {
    await world.p(0).send(world.direct(0, 1), messageText('before ro'));
    await world.settle();
    // A running server's open files keep a filesystem from turning read-only (EBUSY), as after a kernel's
    // errors=remount-ro the server dies anyway: stop it, make the directory read-only, start it again.
    await world.server.kill();
    disk.readOnly();
    let during: MessageView[];
    let refused: unknown;
    try {
      refused = await world.server.start().then(
        () => undefined,
        (err: unknown) => err,
      );
      during = await sendDuringFault(3, 'during ro', 1000);
    } finally {
      disk.readWrite();
    }
    console.log(`read-only: start refused with: ${String(refused).split('\n').slice(0, 3).join(' | ')}`);
    expect(String(refused)).toMatch(/read-only|EROFS/i);
    for (const m of during) expect(['pending', 'failed']).toContain(m.status);
    await world.restartServer();
    await world.settle();
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });

  it('a full disk: writes refused with the retryable UNAVAILABLE and a retry hint, nothing acknowledged that was not stored; recovery after space returns', async () => {
    // Two protocol-level users (not participants: the invariants keep to the participants' ledgers), signed in
    // and befriended while there is space, to see the server's own answer during the fault.
    const endpoint = { host: world.server.endpoint.host, port: world.server.endpoint.port, publicKey: decodeKey(world.server.endpoint.publicKey) };
    const [a, b] = [await TestClient.connect(endpoint), await TestClient.connect(endpoint)];
    try {
      await a.register(`diskfull_a${seed}`);
      await b.register(`diskfull_b${seed}`);
      await befriend(a, b);
      const clientMsgId = randomUUID();
      const filler = fill(disk.path);
      let during: MessageView[];
      let refused: unknown;
      try {
        refused = await sendText(a, direct(b), 'written on a full disk', { clientMsgId }).then(
          (ack) => ack,
          (err: unknown) => err,
        );
        during = await sendDuringFault(5, 'during full', 4000);
      } finally {
        rmSync(filler);
      }
      console.log(`disk full: server answered ${String(refused)}; the core's messages: ${JSON.stringify(during.map((m) => [m.status, m.error?.code]))}`);
      expect(refused).toBeInstanceOf(RequestError);
      const error = refused as RequestError;
      expect(ResultCode[error.code]).toBe('UNAVAILABLE');
      expect(error.detail.retryAfterMs).toBeGreaterThan(0);
      expect(error.detail.message).toMatch(/storage space/);
      // The core keeps them pending (retrying after the hint) or failed with that code: never INTERNAL, never sent.
      for (const m of during) {
        expect(['pending', 'failed']).toContain(m.status);
        if (m.status === 'failed') expect(m.error?.code).toBe('UNAVAILABLE');
      }
      // Nothing of the refused send was stored: the same clientMsgId now is a first send, not a duplicate, and
      // the recipient gets it once.
      const ack = await sendText(a, direct(b), 'written on a full disk', { clientMsgId });
      expect(ack.duplicate).toBe(false);
      await b.waitEvent('message', (m) => m.msgId === ack.msgId, 30_000);
      await sleep(300); // a copy pushed twice would be here now
      const copies = b.pushes
        .filter((p) => p.command === Command.PUSH)
        .map((p) => fromBinary(SyncEventSchema, p.payload).event)
        .filter((e) => e.case === 'message' && e.value.text === 'written on a full disk');
      expect(copies).toHaveLength(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    await world.settle();
    expect(await world.check({ allowFailed: false })).toEqual([]);
    expect(await world.checkAll({ allowFailed: false, freshDevice: 0 })).toEqual([]);
  });
});
