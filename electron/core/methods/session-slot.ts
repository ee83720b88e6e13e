/**
 * The current account session, shared by the contract's method groups: each
 * asks it for what a method needs (the open account, the link) and gets a
 * typed error when there is none.
 */
import type { Disposable } from '../../../shared/util/disposable';
import type { Link } from '../connection-manager';
import { CoreError } from '../errors';
import type { AccountScope } from '../session/account-scope';
import type { AccountSession } from '../session/session';

export class SessionSlot implements Disposable {
  private session: AccountSession | undefined;
  private disposed = false;

  get current(): AccountSession | undefined {
    return this.session;
  }

  /** Replaces the current session (the previous one is disposed). Refused once the core is disposed. */
  set(session: AccountSession): void {
    if (this.disposed) {
      session.dispose();
      throw new CoreError('INTERNAL', 'the core was disposed');
    }
    const previous = this.session;
    this.session = session;
    if (previous !== session) previous?.dispose();
  }

  /** Forgets `session` if it is the current one (it ended by itself or failed to start). */
  release(session: AccountSession): void {
    if (this.session === session) this.session = undefined;
  }

  /** Ends the current session, if any. */
  end(): void {
    const session = this.session;
    this.session = undefined;
    session?.dispose();
  }

  /** The live session; NOT_LOGGED_IN without one. */
  require(): AccountSession {
    const session = this.session;
    if (!session?.live) throw new CoreError('NOT_LOGGED_IN', 'sign in first');
    return session;
  }

  /** The open account of the live session. */
  account(): AccountScope {
    const scope = this.require().scope;
    if (!scope) throw new CoreError('NOT_LOGGED_IN', 'no account session');
    return scope;
  }

  /** The authenticated link; OFFLINE without one. */
  link(): Link {
    return this.require().requireLink();
  }

  /** The authenticated link if there is one (for work that may wait or be skipped offline). */
  readyLink(): Link | undefined {
    return this.session?.readyLink();
  }

  dispose(): void {
    this.disposed = true;
    this.end();
  }
}
