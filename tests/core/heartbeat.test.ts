import { afterEach, describe, expect, it } from 'vitest';
import { Heartbeat } from '../../electron/core/heartbeat';
import { ManualClock } from './helpers/manual-clock';

const options = { intervalMs: 30_000, timeoutMs: 15_000, misses: 2, probeTimeoutMs: 3_000 };

function setup(overrides: Partial<typeof options> = {}) {
  const clock = new ManualClock();
  const pings: number[] = [];
  const dead: number[] = [];
  const hb = new Heartbeat(clock, { ...options, ...overrides }, () => pings.push(clock.now()), () => dead.push(clock.now()));
  const t0 = clock.now();
  hb.start();
  return { clock, hb, pings, dead, t0 };
}

let stop: (() => void) | undefined;
afterEach(() => stop?.());

describe('Heartbeat', () => {
  it('pings only after the line was quiet for the interval', async () => {
    const { clock, hb, pings, t0 } = setup();
    stop = () => hb.stop();
    // Frames every 10 s: never quiet, never a ping.
    for (let i = 0; i < 10; i++) {
      await clock.advance(10_000);
      hb.received();
    }
    expect(pings).toEqual([]);
    await clock.advance(30_000);
    expect(pings).toEqual([t0 + 130_000]);
  });

  it('declares the connection dead after n misses (30 s quiet + 2 x 15 s)', async () => {
    const { clock, hb, pings, dead, t0 } = setup();
    stop = () => hb.stop();
    await clock.advance(59_999);
    expect(dead).toEqual([]);
    expect(pings).toEqual([t0 + 30_000, t0 + 45_000]);
    expect(hb.misses).toBe(1);
    await clock.advance(1);
    expect(dead).toEqual([t0 + 60_000]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('counts any frame as an answer and resets the misses', async () => {
    const { clock, hb, pings, dead, t0 } = setup();
    stop = () => hb.stop();
    await clock.advance(50_000); // ping at 30 s, miss at 45 s, second ping at 45 s
    expect(hb.misses).toBe(1);
    hb.received(); // e.g. a PUSH, not the PONG
    expect(hb.misses).toBe(0);
    await clock.advance(29_999);
    expect(pings).toHaveLength(2);
    await clock.advance(1);
    expect(pings).toEqual([t0 + 30_000, t0 + 45_000, t0 + 80_000]);
    expect(dead).toEqual([]);
  });

  it('honours a configured miss count', async () => {
    const { clock, hb, dead, t0 } = setup({ misses: 3, intervalMs: 1000, timeoutMs: 500 });
    stop = () => hb.stop();
    await clock.advance(10_000);
    expect(dead).toEqual([t0 + 1000 + 3 * 500]);
  });

  it('probe(): pings at once and finds a dead line within 2 x probe timeout', async () => {
    const { clock, hb, pings, dead, t0 } = setup();
    stop = () => hb.stop();
    await clock.advance(5_000);
    hb.probe();
    expect(pings).toEqual([t0 + 5_000]);
    await clock.advance(6_000);
    expect(dead).toEqual([t0 + 11_000]);
  });

  it('probe(): a healthy connection answers and is kept (no flap)', async () => {
    const { clock, hb, pings, dead, t0 } = setup();
    stop = () => hb.stop();
    hb.probe();
    await clock.advance(200);
    hb.received(); // the PONG
    await clock.advance(29_999);
    expect(dead).toEqual([]);
    expect(pings).toEqual([t0]);
    await clock.advance(1);
    // Back on the normal schedule: next ping after 30 s of quiet, normal timeout.
    expect(pings).toEqual([t0, t0 + 30_200]);
    await clock.advance(14_999);
    expect(hb.misses).toBe(0);
  });

  it('stop() leaves no timer behind', async () => {
    const { clock, hb } = setup();
    await clock.advance(31_000);
    hb.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});
