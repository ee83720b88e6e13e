/**
 * Forwarding a file the server no longer keeps (its retention ran out) from a
 * device that never downloaded it: the forward fails at once with FILE_GONE,
 * naming why, instead of retrying or failing to read a file that was never on
 * this device. Real server with a short retention and a fast sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/clients';
import { noise, stageBytes } from './helpers';
import { delivered, friendsOverServer, received, serverBlobs, type Pair } from './pair';

let pair: Pair;

beforeAll(async () => {
  pair = await friendsOverServer('forward-gone', { maxAttachmentBytes: 4 * 1024 * 1024, blobRetentionMs: 1000, blobSweepIntervalMs: 1000 });
});

afterAll(async () => {
  await pair?.close();
});

describe('forwarding a file the server no longer keeps', () => {
  it('fails at once with FILE_GONE when this device never had the file', async () => {
    const { alice, bob } = pair;
    const staged = await stageBytes(alice, 'old report.bin', noise(200_000, 9));
    const original = await alice.sendMessage({ key: pair.toBob, text: '', attachments: [staged.stagingId] });
    await delivered(alice, pair.toBob, original.id);
    const atBob = await received(bob, pair.toAlice, original.id);
    expect(atBob.attachments?.[0]?.downloaded).toBe(false);
    // The retention runs out and the sweep removes the blob from the server.
    await waitFor(() => serverBlobs(pair).length === 0 || null, 'the blob swept');

    const { ids } = await bob.forwardMessages({ messageIds: [original.id], to: [pair.toAlice] });
    const failed = await waitFor(async () => {
      const m = (await bob.loadMessages({ key: pair.toAlice })).messages.find((x) => x.id === ids[0]);
      return m?.status === 'failed' ? m : null;
    }, 'the forward failed');
    expect(failed.error?.code).toBe('FILE_GONE');
  });
});
