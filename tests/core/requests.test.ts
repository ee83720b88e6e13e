import { describe, expect, it } from 'vitest';
import { RequestTracker } from '../../electron/core/requests';
import { ManualClock } from './helpers/manual-clock';

const frame = (serial: number, command: number) => ({ serial, command, code: 0, payload: new Uint8Array() });

describe('RequestTracker', () => {
  it('matches answers by serial and command, ignores late or foreign frames', async () => {
    const clock = new ManualClock();
    const t = new RequestTracker(clock);
    const a = t.begin(24, 1000);
    const b = t.begin(46, 1000);
    expect(a.serial).not.toBe(b.serial);
    expect(t.settle(frame(a.serial, 99))).toBe(false); // same serial, other command (e.g. a push)
    expect(t.settle(frame(b.serial, 46))).toBe(true);
    await expect(b.response).resolves.toMatchObject({ serial: b.serial });
    const late = a.response.catch((e: unknown) => e);
    await clock.advance(1000);
    expect(await late).toMatchObject({ code: 'TIMEOUT' });
    expect(t.settle(frame(a.serial, 24))).toBe(false); // after its timeout
    expect(t.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects everything pending at once', async () => {
    const t = new RequestTracker(new ManualClock());
    const all = [t.begin(1, 1000), t.begin(2, 1000), t.begin(3, 1000)].map((r) => r.response.catch((e: unknown) => (e as Error).message));
    t.rejectAll(new Error('gone'));
    expect(await Promise.all(all)).toEqual(['gone', 'gone', 'gone']);
  });

  it('wraps its int32 serials and skips ones still in use', () => {
    const t = new RequestTracker(new ManualClock());
    const begin = () => {
      const r = t.begin(1, 1e9);
      r.response.catch(() => undefined);
      return r;
    };
    const first = begin();
    (t as unknown as { nextSerial: number }).nextSerial = 0x7fffffff;
    expect(begin().serial).toBe(0x7fffffff);
    // 1 is still waiting: the next free serial is 2.
    expect(first.serial).toBe(1);
    expect(begin().serial).toBe(2);
    t.rejectAll(new Error('end'));
  });
});
