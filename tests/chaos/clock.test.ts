/**
 * Client clocks far ahead of and behind the server (a day and three days):
 * sending, retries after resets, reconnects and the heartbeat must not care;
 * acknowledged messages carry the server's time everywhere, and conversation
 * order follows the server's sequence, not anyone's clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaosSeed } from './support/mode';
import { burst } from './support/traffic';
import { World } from './support/world';

const DAY = 24 * 60 * 60 * 1000;
const seed = chaosSeed(1504);
let world: World;

beforeAll(async () => {
  console.log(`chaos clock: seed ${seed}`);
  world = await World.create({ name: 'clock', participants: 3, seed, skewMs: { 0: 3 * DAY, 1: -DAY } });
});

afterAll(async () => {
  await world?.dispose();
});

describe('client clock skew', () => {
  it('a client three days ahead and one a day behind chat with one on time, through resets and a blackhole', async () => {
    const sending = burst(world, 10, 'skew');
    world.p(0).proxy!.resetMidFrame();
    world.p(1).proxy!.resetMidFrame();
    await sending;
    const hole = world.p(0).proxy!.blackhole(3500);
    await burst(world, 3, 'skew hole');
    await hole;
    await world.settle();
    expect(await world.check({ allowFailed: false })).toEqual([]);
    // The time shown for an acknowledged message is the server's: within minutes of the real time for everyone.
    const page = await world.p(2).core.loadMessages({ key: world.groupKey, limit: 200 });
    expect(page.messages.length).toBeGreaterThan(0);
    for (const m of page.messages) expect(Math.abs(m.sentAt - Date.now())).toBeLessThan(10 * 60_000);
    expect(await world.checkAll({ allowFailed: false, freshDevice: 0 })).toEqual([]);
  });
});
