/**
 * Password-guessing limits. Three counters, all in memory:
 *
 * - per (account, address): the first `freeFailures` wrong passwords cost
 *   nothing; after that each attempt must wait `backoffBaseMs`, doubling with
 *   every further failure up to `backoffMaxMs`. A right password resets it.
 *   This is what a user who mistypes meets, and it stops one stranger from
 *   guessing quickly, without locking the account for anyone else.
 * - per account, from all addresses: at most `perAccount` failures in
 *   `windowMs`, a ceiling against guessing from many addresses at once.
 * - per address, across accounts: at most `perAddress` failures in
 *   `windowMs`, against one address trying many usernames.
 *
 * Only password logins are counted and checked. A device-token login is
 * never throttled: the token is 256 random bits (guessing is hopeless), and a
 * user's own devices must keep working while someone guesses the password.
 *
 * An attempt counts as a failure from the moment it starts (scrypt takes
 * ~100 ms, and a client may pipeline many attempts meanwhile); when it
 * settles as not a wrong password, it is taken back.
 */
import type { Clock } from '../clock';
import { addressKey } from './address-key';
import { SlidingWindow } from './sliding-window';

export interface LoginLimits {
  /** Wrong passwords per (account, address) before the backoff starts. */
  freeFailures: number;
  /** The wait after the first failure beyond the free ones; doubles with each further failure. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Failures per account (all addresses) and per address (all accounts) inside `windowMs`. */
  perAccount: number;
  perAddress: number;
  /** How long failures are remembered (the window of the ceilings; a pair is forgotten this long after its last failure). */
  windowMs: number;
}

/** How an attempt ended, as far as guessing goes. */
export type LoginVerdict = 'wrong-password' | 'right-password' | 'not-checked';

export interface LoginAttempt {
  settle(verdict: LoginVerdict): void;
}

interface Pair {
  failures: number;
  lastAt: number;
}

/** Usernames longer than this cannot exist; they are throttled under their first characters. */
const MAX_ACCOUNT_KEY = 64;

export class LoginThrottle {
  private readonly pairs = new Map<string, Pair>();
  private readonly accounts: SlidingWindow<string>;
  private readonly addresses: SlidingWindow<string>;

  constructor(
    private readonly clock: Clock,
    readonly limits: LoginLimits,
  ) {
    this.accounts = new SlidingWindow(clock, limits.perAccount, limits.windowMs);
    this.addresses = new SlidingWindow(clock, limits.perAddress, limits.windowMs);
  }

  /**
   * Before checking a password: milliseconds to wait (the attempt is refused,
   * nothing is counted), or the attempt, counted as a failure until settled.
   */
  begin(username: string, remoteAddress: string): { retryAfterMs: number } | LoginAttempt {
    const account = username.slice(0, MAX_ACCOUNT_KEY);
    const address = addressKey(remoteAddress);
    const pairKey = `${account}\u0000${address}`;
    const retryAfterMs = Math.max(this.pairWait(pairKey), this.accounts.retryAfter(account), this.addresses.retryAfter(address));
    if (retryAfterMs > 0) return { retryAfterMs };
    const pair = this.pairs.get(pairKey) ?? { failures: 0, lastAt: 0 };
    pair.failures++;
    pair.lastAt = this.clock.now();
    this.pairs.set(pairKey, pair);
    this.accounts.add(account);
    this.addresses.add(address);
    let settled = false;
    return {
      settle: (verdict) => {
        if (settled) return;
        settled = true;
        if (verdict === 'wrong-password') return;
        this.accounts.removeNewest(account);
        this.addresses.removeNewest(address);
        const current = this.pairs.get(pairKey);
        if (!current) return;
        if (verdict === 'right-password' || current.failures <= 1) this.pairs.delete(pairKey);
        else current.failures--;
      },
    };
  }

  /** Forgets what has expired (called from the server's periodic sweep). */
  sweep(): void {
    const cutoff = this.clock.now() - this.limits.windowMs;
    for (const [key, pair] of this.pairs) if (pair.lastAt <= cutoff) this.pairs.delete(key);
    this.accounts.sweep();
    this.addresses.sweep();
  }

  /** Entries held, for tests and metrics. */
  get size(): number {
    return this.pairs.size + this.accounts.size + this.addresses.size;
  }

  private pairWait(pairKey: string): number {
    const pair = this.pairs.get(pairKey);
    if (!pair) return 0;
    const now = this.clock.now();
    if (pair.lastAt <= now - this.limits.windowMs) {
      this.pairs.delete(pairKey);
      return 0;
    }
    const wait = backoffMs(this.limits, pair.failures);
    return Math.max(0, pair.lastAt + wait - now);
  }
}

/** The wait imposed after `failures` wrong passwords from one address to one account. */
export function backoffMs(limits: Pick<LoginLimits, 'freeFailures' | 'backoffBaseMs' | 'backoffMaxMs'>, failures: number): number {
  if (failures < limits.freeFailures) return 0;
  const doublings = Math.min(failures - limits.freeFailures, 30);
  return Math.min(limits.backoffMaxMs, limits.backoffBaseMs * 2 ** doublings);
}
