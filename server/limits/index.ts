/**
 * The server's abuse limits, in one place, called at the boundary between
 * the network and the services (server/net/handlers.ts and the dispatcher),
 * so the services never deal with throttling:
 *
 * - `send`: messages per account across all its devices, a token bucket
 *   (`sendBurst` at once, then `sendPerMinute`);
 * - `login`: password guessing (login-throttle.ts);
 * - `registrations`: new accounts per client address in a window.
 *
 * Each refusal is RATE_LIMITED with `retry_after_ms`. The per-connection cap
 * on requests in flight lives in the dispatcher (it needs the request's
 * whole life). Everything is per server process: a cluster of N nodes
 * allows up to N times the rate to a client that spreads its connections.
 */
import { ResultCode } from '../../shared/protocol';
import type { Clock } from '../clock';
import type { ServerConfig } from '../config';
import { ServiceError } from '../services/errors';
import { addressKey } from './address-key';
import { LoginThrottle, type LoginLimits } from './login-throttle';
import { SlidingWindow } from './sliding-window';
import { TokenBuckets } from './token-bucket';

export { addressKey } from './address-key';
export { backoffMs, type LoginAttempt, type LoginLimits, type LoginVerdict } from './login-throttle';

/** The server options the limits read (server/config.ts documents each). */
export type LimitsConfig = Pick<
  ServerConfig,
  | 'sendBurst'
  | 'sendPerMinute'
  | 'loginFreeFailures'
  | 'loginBackoffBaseMs'
  | 'loginBackoffMaxMs'
  | 'loginFailuresPerAccount'
  | 'loginFailuresPerAddress'
  | 'loginThrottleWindowMs'
  | 'registrationsPerAddress'
>;

export function rateLimited(retryAfterMs: number, message: string): ServiceError {
  return new ServiceError(ResultCode.RATE_LIMITED, message, '', retryAfterMs);
}

export class Limits {
  private readonly sends: TokenBuckets<number>;
  private readonly login: LoginThrottle;
  private readonly registrations: SlidingWindow<string>;

  constructor(clock: Clock, config: LimitsConfig) {
    this.sends = new TokenBuckets(clock, config.sendBurst, config.sendPerMinute);
    const loginLimits: LoginLimits = {
      freeFailures: config.loginFreeFailures,
      backoffBaseMs: config.loginBackoffBaseMs,
      backoffMaxMs: config.loginBackoffMaxMs,
      perAccount: config.loginFailuresPerAccount,
      perAddress: config.loginFailuresPerAddress,
      windowMs: config.loginThrottleWindowMs,
    };
    this.login = new LoginThrottle(clock, loginLimits);
    this.registrations = new SlidingWindow(clock, config.registrationsPerAddress, config.loginThrottleWindowMs);
  }

  /** Before a MESSAGE_SEND: takes a token of the account's bucket or throws RATE_LIMITED. */
  takeSend(userId: number): void {
    const wait = this.sends.take(userId);
    if (wait > 0) throw rateLimited(wait, 'sending too fast');
  }

  /** A send the server already had (a resend) costs nothing. */
  refundSend(userId: number): void {
    this.sends.refund(userId);
  }

  /**
   * Runs a password login under the guessing limits: refused with
   * RATE_LIMITED before the password is checked, and counted as a failure
   * only if it ends in BAD_CREDENTIALS (an unknown user included).
   */
  async passwordLogin<T>(username: string, remoteAddress: string, login: () => Promise<T>): Promise<T> {
    const attempt = this.login.begin(username, remoteAddress);
    if ('retryAfterMs' in attempt) throw rateLimited(attempt.retryAfterMs, 'too many failed logins');
    try {
      const result = await login();
      attempt.settle('right-password');
      return result;
    } catch (err) {
      const code = err instanceof ServiceError ? err.code : undefined;
      attempt.settle(code === ResultCode.BAD_CREDENTIALS ? 'wrong-password' : code === ResultCode.ACCOUNT_DISABLED ? 'right-password' : 'not-checked');
      throw err;
    }
  }

  /** Runs a registration under the per-address limit; only a registration that happened counts. */
  async registration<T>(remoteAddress: string, register: () => Promise<T>): Promise<T> {
    const key = addressKey(remoteAddress);
    const wait = this.registrations.retryAfter(key);
    if (wait > 0) throw rateLimited(wait, 'too many registrations from this address');
    this.registrations.add(key); // counted at once: registrations in flight count too
    try {
      return await register();
    } catch (err) {
      this.registrations.removeNewest(key);
      throw err;
    }
  }

  /** Forgets expired entries (the server's periodic sweep). */
  sweep(): void {
    this.sends.sweep();
    this.login.sweep();
    this.registrations.sweep();
  }

  /** Entries held in memory. */
  get size(): number {
    return this.sends.size + this.login.size + this.registrations.size;
  }
}
