/** Timed mutes end by themselves: the UI hears of it when the time comes (manual clock, real cache file). */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationView } from '../../shared/ipc';
import { openCache } from '../../electron/core/cache';
import { MuteExpiry } from '../../electron/core/session/mute-expiry';
import { ManualClock } from './helpers/manual-clock';
import { TempDir, wireMessage } from './cache/fixtures';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

function setup() {
  const clock = new ManualClock();
  const dir = new TempDir();
  const { cache } = openCache({ dir: dir.path, userId: 1, now: () => clock.now() });
  const announced: ConversationView[][] = [];
  const expiry = new MuteExpiry(cache, clock, (list) => announced.push(list));
  cleanup.push(() => {
    expiry.dispose();
    cache.close();
    dir.dispose();
  });
  return { clock, cache, expiry, announced };
}

describe('MuteExpiry', () => {
  it('announces each conversation when its mute ends, earliest first, and nothing before', async () => {
    const { clock, cache, expiry, announced } = setup();
    cache.messages.applyServerMessage(wireMessage('u:2', 1));
    cache.messages.applyServerMessage(wireMessage('u:3', 1));
    cache.conversations.setMuted('u:2', clock.now() + 3_600_000);
    cache.conversations.setMuted('u:3', clock.now() + 8 * 3_600_000);
    expiry.reschedule();
    await clock.advance(3_600_000 - 1);
    expect(announced).toEqual([]);
    await clock.advance(1);
    expect(announced.map((l) => l.map((c) => `${c.key}:${c.muted}`))).toEqual([['u:2:false']]);
    expect(cache.conversations.unreadTotal()).toBe(1);
    await clock.advance(7 * 3_600_000);
    expect(announced.map((l) => l.map((c) => `${c.key}:${c.muted}`))).toEqual([['u:2:false'], ['u:3:false']]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an unmute or a mute with no end cancels the timer; a week-long mute is re-armed in steps', async () => {
    const { clock, cache, expiry, announced } = setup();
    cache.messages.applyServerMessage(wireMessage('u:2', 1));
    cache.conversations.setMuted('u:2', clock.now() + 60_000);
    expiry.reschedule();
    expect(clock.pendingTimers).toBe(1);
    cache.conversations.setMuted('u:2', 'forever');
    expiry.reschedule();
    expect(clock.pendingTimers).toBe(0);
    cache.conversations.setMuted('u:2', clock.now() + 7 * 24 * 3_600_000);
    expiry.reschedule();
    await clock.advance(7 * 24 * 3_600_000 - 1);
    expect(announced).toEqual([]);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1);
    expect(announced.flat().map((c) => c.key)).toEqual(['u:2']);
  });
});
