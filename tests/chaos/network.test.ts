/**
 * Network faults from the fault proxy in front of each participant: latency
 * with jitter and a bandwidth limit, a reset in the middle of a frame, a
 * half-open connection only the heartbeat can find, a blackhole then
 * recovery. One world for the file; the invariants are checked after each
 * scenario (they are cumulative: everything sent so far must hold).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait';
import { chaosSeed } from './support/mode';
import { chaosTimings } from './support/participant';
import { burst, messageText } from './support/traffic';
import { World } from './support/world';

const seed = chaosSeed(1501);
let world: World;

beforeAll(async () => {
  console.log(`chaos network: seed ${seed}`);
  world = await World.create({ name: 'net', participants: 3, seed });
});

afterAll(async () => {
  await world?.dispose();
});

/** When `p` first reported offline after `since`, and why. */
function firstOffline(i: number, since: number) {
  return world.p(i).states.find((s) => s.at >= since && s.status.state === 'offline');
}

describe('network faults through the proxy', () => {
  it('latency, jitter and a bandwidth limit: everything arrives once, in order', async () => {
    for (const p of world.participants) p.proxy!.shape({ latencyMs: 40, jitterMs: 60, bytesPerSec: 64_000 });
    await burst(world, 8, 'slow');
    await world.settle();
    for (const p of world.participants) p.proxy!.shape({});
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });

  it('a reset in the middle of a frame, again and again during a burst', async () => {
    const sending = burst(world, 10, 'reset');
    for (let r = 0; r < 4; r++) {
      world.p(r % 3).proxy!.resetMidFrame();
      await new Promise((res) => setTimeout(res, 150));
    }
    await sending;
    await world.settle();
    expect(world.participants.reduce((k, p) => k + p.proxy!.resets, 0)).toBeGreaterThan(0);
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });

  it('a half-open connection is found by the heartbeat within interval + misses × timeout, then the client reconnects', async () => {
    const p = world.p(0);
    await waitFor(async () => (await p.online()) && p.proxy!.connections > 0, 'online before the fault');
    const since = Date.now();
    expect(p.proxy!.halfOpen()).toBeGreaterThan(0);
    await p.send(world.direct(0, 1), messageText('sent into a half-open connection'));
    const offline = await waitForState(0, since);
    const took = offline.at - since;
    const bound = chaosTimings.heartbeatIntervalMs! + chaosTimings.heartbeatMisses! * chaosTimings.heartbeatTimeoutMs!;
    console.log(`half-open found after ${took} ms (bound ${bound} ms + scheduling slack)`);
    expect(offline.status.lastError?.code).toBe('TIMEOUT');
    // Wall-clock on a loaded machine: the bound plus generous slack for a starved event loop.
    expect(took).toBeLessThan(bound + 5000);
    await world.settle();
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });

  it('a blackhole longer than the heartbeat, then recovery: reconnects and delivers what was sent meanwhile', async () => {
    const since = Date.now();
    const hole = Promise.all(world.participants.map((p) => p.proxy!.blackhole(4500)));
    await burst(world, 3, 'hole');
    await hole;
    // Every participant's link died during the blackhole (4.5 s > 3 s).
    for (let i = 0; i < 3; i++) expect(firstOffline(i, since)?.status.lastError?.code).toBe('TIMEOUT');
    await world.settle();
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });

  it('after all of it, a fresh device of each account syncs exactly what the long-lived caches hold', async () => {
    for (let i = 0; i < 3; i++) expect(await world.checkAll({ allowFailed: false, freshDevice: i })).toEqual([]);
  });
});

async function waitForState(i: number, since: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = firstOffline(i, since);
    if (s) return s;
    if (Date.now() > deadline) throw new Error(`participant ${i} never went offline`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
