// The abuse limits (server/limits) with an injected clock: token buckets, sliding windows, the password-guessing
// throttle (per account and address with backoff, ceilings per account and per address) and address keys.
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../shared/protocol';
import { resolveConfig } from '../../server/config';
import { addressKey, backoffMs, Limits, type LimitsConfig } from '../../server/limits';
import { LoginThrottle, type LoginLimits } from '../../server/limits/login-throttle';
import { SlidingWindow } from '../../server/limits/sliding-window';
import { TokenBuckets } from '../../server/limits/token-bucket';
import { ServiceError } from '../../server/services/errors';

class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  now() {
    return this.t;
  }
}

describe('TokenBuckets', () => {
  it('allows a burst, then the sustained rate, and says how long to wait', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets<number>(clock, 5, 60); // 5 at once, then one a second
    for (let i = 0; i < 5; i++) expect(buckets.take(1)).toBe(0);
    expect(buckets.take(1)).toBe(1000);
    expect(buckets.take(2)).toBe(0); // another key has its own bucket
    clock.t += 999;
    expect(buckets.take(1)).toBe(1);
    clock.t += 1;
    expect(buckets.take(1)).toBe(0);
    expect(buckets.take(1)).toBe(1000);
    // Sustained: over a minute, 60 more and no more.
    let taken = 0;
    for (let ms = 0; ms < 60_000; ms += 100) {
      clock.t += 100;
      if (buckets.take(1) === 0) taken++;
    }
    expect(taken).toBe(60);
  });

  it('refunds up to the burst and forgets full buckets on sweep', () => {
    const clock = new FakeClock();
    const buckets = new TokenBuckets<string>(clock, 2, 60);
    buckets.take('a');
    buckets.take('a');
    expect(buckets.take('a')).toBeGreaterThan(0);
    buckets.refund('a');
    expect(buckets.take('a')).toBe(0);
    buckets.refund('a');
    buckets.refund('a');
    buckets.refund('a');
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBeGreaterThan(0); // never more than the burst
    buckets.sweep();
    expect(buckets.size).toBe(1);
    clock.t += 2000;
    buckets.sweep();
    expect(buckets.size).toBe(0);
  });

  it('refuses a bucket that could never pass', () => {
    expect(() => new TokenBuckets(new FakeClock(), 0, 60)).toThrow(RangeError);
    expect(() => new TokenBuckets(new FakeClock(), 1, 0)).toThrow(RangeError);
  });
});

describe('SlidingWindow', () => {
  it('blocks after the limit inside the window and frees up as events age out', () => {
    const clock = new FakeClock(0);
    const w = new SlidingWindow<string>(clock, 3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(w.retryAfter('k')).toBe(0);
      w.add('k');
      clock.t += 100;
    }
    expect(w.retryAfter('k')).toBe(700); // the first event (t=0) leaves the window at t=1000
    w.removeNewest('k');
    expect(w.retryAfter('k')).toBe(0);
    w.add('k');
    clock.t = 1001;
    expect(w.retryAfter('k')).toBe(0);
    w.sweep();
    expect(w.size).toBe(1);
    clock.t = 5000;
    w.sweep();
    expect(w.size).toBe(0);
  });
});

const loginLimits: LoginLimits = { freeFailures: 3, backoffBaseMs: 1000, backoffMaxMs: 60_000, perAccount: 20, perAddress: 12, windowMs: 15 * 60_000 };

/** One wrong password, if allowed; returns the wait when refused. */
function guess(t: LoginThrottle, user: string, address: string): number {
  const attempt = t.begin(user, address);
  if ('retryAfterMs' in attempt) return attempt.retryAfterMs;
  attempt.settle('wrong-password');
  return 0;
}

describe('LoginThrottle', () => {
  it('backs off per (account, address): free failures, then doubling waits up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 5, 9, 10, 40].map((f) => backoffMs(loginLimits, f))).toEqual([0, 0, 0, 1000, 2000, 4000, 60_000, 60_000, 60_000]);
    const clock = new FakeClock();
    const t = new LoginThrottle(clock, loginLimits);
    for (let i = 0; i < 3; i++) expect(guess(t, 'alice', '10.0.0.1')).toBe(0);
    expect(guess(t, 'alice', '10.0.0.1')).toBe(1000);
    clock.t += 1000;
    expect(guess(t, 'alice', '10.0.0.1')).toBe(0);
    expect(guess(t, 'alice', '10.0.0.1')).toBe(2000);
    clock.t += 2000;
    expect(guess(t, 'alice', '10.0.0.1')).toBe(0);
    expect(guess(t, 'alice', '10.0.0.1')).toBe(4000);
  });

  it('a stranger guessing does not lock the owner out from another address, and a right password resets the pair', () => {
    const clock = new FakeClock();
    const t = new LoginThrottle(clock, loginLimits);
    for (let i = 0; i < 3; i++) expect(guess(t, 'alice', '203.0.113.9')).toBe(0);
    expect(guess(t, 'alice', '203.0.113.9')).toBe(1000); // the stranger now waits; the owner does not
    const owner = t.begin('alice', '198.51.100.7');
    expect('settle' in owner).toBe(true);
    if ('settle' in owner) owner.settle('right-password');
    // The owner's own typos start from zero again after a success.
    for (let i = 0; i < 3; i++) expect(guess(t, 'alice', '198.51.100.7')).toBe(0);
    const ok = t.begin('alice', '198.51.100.7');
    expect(ok).toEqual({ retryAfterMs: 1000 });
  });

  it('counts an attempt from its start, so pipelined guesses cannot slip past while the hash runs', () => {
    const t = new LoginThrottle(new FakeClock(), loginLimits);
    const started = [1, 2, 3, 4, 5].map(() => t.begin('alice', '10.0.0.1'));
    expect(started.filter((a) => 'settle' in a)).toHaveLength(3);
    expect(started[3]).toEqual({ retryAfterMs: 1000 });
  });

  it('takes back attempts that were not a wrong password', () => {
    const t = new LoginThrottle(new FakeClock(), loginLimits);
    for (let i = 0; i < 10; i++) {
      const a = t.begin('alice', '10.0.0.1');
      if (!('settle' in a)) throw new Error('refused');
      a.settle('not-checked'); // e.g. INVALID_ARGUMENT: the password was never checked
      a.settle('wrong-password'); // settling twice changes nothing
    }
    expect(t.size).toBe(0);
  });

  it('keeps a per-account ceiling against guessing from many addresses, and a per-address one across accounts', () => {
    const clock = new FakeClock();
    const t = new LoginThrottle(clock, loginLimits);
    for (let i = 0; i < 20; i++) expect(guess(t, 'alice', `10.1.0.${i}`)).toBe(0);
    const wait = guess(t, 'alice', '10.2.0.1');
    expect(wait).toBe(15 * 60_000);
    expect(guess(t, 'bob', '10.2.0.1')).toBe(0); // other accounts are not affected
    clock.t += wait;
    expect(guess(t, 'alice', '10.2.0.2')).toBe(0);

    for (let i = 0; i < 12; i++) expect(guess(t, `user${i}`, '192.0.2.1')).toBe(0);
    expect(guess(t, 'user-x', '192.0.2.1')).toBe(15 * 60_000);
    expect(guess(t, 'user-x', '192.0.2.2')).toBe(0);
  });

  it('forgets pairs a window after their last failure', () => {
    const clock = new FakeClock();
    const t = new LoginThrottle(clock, loginLimits);
    for (let i = 0; i < 4; i++) {
      guess(t, 'alice', '10.0.0.1');
      clock.t += 5000;
    }
    expect(t.size).toBeGreaterThan(0);
    clock.t += 15 * 60_000;
    t.sweep();
    expect(t.size).toBe(0);
    expect(guess(t, 'alice', '10.0.0.1')).toBe(0);
  });
});

describe('addressKey', () => {
  it('keys IPv4 as is (mapped or not) and IPv6 by its /64', () => {
    expect(addressKey('10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('unknown')).toBe('unknown');
  });
});

describe('Limits', () => {
  const config = (overrides: Partial<LimitsConfig> = {}): LimitsConfig => ({ ...resolveConfig({ loginFreeFailures: 1, loginBackoffBaseMs: 500, registrationsPerAddress: 2 }), ...overrides });
  const wrong = () => Promise.reject(new ServiceError(ResultCode.BAD_CREDENTIALS, 'bad credentials'));

  it('runs a password login under the throttle: RATE_LIMITED before the password is checked, with retry_after_ms', async () => {
    const clock = new FakeClock();
    const limits = new Limits(clock, config());
    await expect(limits.passwordLogin('alice', '10.0.0.1', wrong)).rejects.toMatchObject({ code: ResultCode.BAD_CREDENTIALS });
    let checked = false;
    const right = async () => ((checked = true), 'logged in');
    await expect(limits.passwordLogin('alice', '10.0.0.1', right)).rejects.toMatchObject({ code: ResultCode.RATE_LIMITED, retryAfterMs: 500 });
    expect(checked).toBe(false);
    clock.t += 500;
    await expect(limits.passwordLogin('alice', '10.0.0.1', right)).resolves.toBe('logged in');
    // Other failures (a disabled account, a bad field) are not guesses.
    for (const code of [ResultCode.ACCOUNT_DISABLED, ResultCode.INVALID_ARGUMENT, ResultCode.INTERNAL]) {
      await expect(limits.passwordLogin('alice', '10.0.0.1', () => Promise.reject(new ServiceError(code, 'x')))).rejects.toMatchObject({ code });
    }
    await expect(limits.passwordLogin('alice', '10.0.0.1', right)).resolves.toBe('logged in');
  });

  it('limits registrations per address, counting only those that happened', async () => {
    const clock = new FakeClock();
    const limits = new Limits(clock, config());
    const ok = async () => 'registered';
    await expect(limits.registration('10.0.0.1', () => Promise.reject(new ServiceError(ResultCode.USERNAME_TAKEN, 'taken')))).rejects.toMatchObject({ code: ResultCode.USERNAME_TAKEN });
    await limits.registration('10.0.0.1', ok);
    await limits.registration('::ffff:10.0.0.1', ok);
    await expect(limits.registration('10.0.0.1', ok)).rejects.toMatchObject({ code: ResultCode.RATE_LIMITED });
    await expect(limits.registration('10.0.0.2', ok)).resolves.toBe('registered');
    clock.t += config().loginThrottleWindowMs;
    await expect(limits.registration('10.0.0.1', ok)).resolves.toBe('registered');
  });

  it('takes a send token per account, refunds resends, and says when to retry', () => {
    const clock = new FakeClock();
    const limits = new Limits(clock, config({ sendBurst: 2, sendPerMinute: 120 }));
    limits.takeSend(1);
    limits.refundSend(1);
    limits.takeSend(1);
    limits.takeSend(1);
    expect(() => limits.takeSend(1)).toThrow(expect.objectContaining({ code: ResultCode.RATE_LIMITED, retryAfterMs: 500 }));
    limits.takeSend(2);
    clock.t += 500;
    limits.takeSend(1);
    limits.sweep();
    expect(limits.size).toBeGreaterThan(0);
    clock.t += 60_000;
    limits.sweep();
    expect(limits.size).toBe(0);
  });
});
