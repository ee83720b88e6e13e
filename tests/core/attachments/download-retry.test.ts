/** When a cut download tries again: back-off while connected (started over by progress), a long wait for the connection while not. */
import { describe, expect, it } from 'vitest';
import { DownloadRetry } from '../../../electron/core/attachments/transfers';
import type { Clock } from '../../../electron/core/clock';

function clockAt(start = 0): Clock & { now(): number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    setTimeout: () => {
      throw new Error('not used');
    },
    clearTimeout: () => undefined,
  } as unknown as Clock & { now(): number; advance(ms: number): void };
}

describe('DownloadRetry', () => {
  it('connected: 1, 2, 4, 8, 15 units, then gives up, unless an attempt got further, which starts the count over', () => {
    const r = new DownloadRetry(100, clockAt());
    expect([r.next(true), r.next(true), r.next(true)]).toEqual([100, 200, 400]);
    r.verified = 5000; // the last attempt got further
    expect([r.next(true), r.next(true), r.next(true), r.next(true), r.next(true)]).toEqual([100, 200, 400, 800, 1500]);
    expect(r.next(true)).toBeUndefined();
  });

  it('offline: waits a unit at a time, up to 300 units since the connection went, without using up the connected retries', () => {
    const clock = clockAt();
    const r = new DownloadRetry(100, clock);
    expect(r.next(true)).toBe(100);
    for (let i = 0; i < 300; i++) {
      expect(r.next(false)).toBe(100);
      clock.advance(100);
    }
    expect(r.next(false)).toBeUndefined();
    // Back online before that: the connected count goes on where it was, and a new outage waits its own 300 units.
    const s = new DownloadRetry(100, clock);
    expect(s.next(false)).toBe(100);
    clock.advance(20_000);
    expect(s.next(true)).toBe(100);
    expect(s.next(false)).toBe(100);
  });
});
