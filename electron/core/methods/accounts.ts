/** The contract's account and session methods: sign in and out, the accounts on this device, the connection. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountSummary, ConnectionStatus, ServerEndpoint, Session } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import { Command } from '../../../shared/protocol';
import { summary, type AccountStore } from '../account-store';
import { CoreError } from '../errors';
import type { CoreEmitter } from '../events';
import type { SettingsStore } from '../settings-store';
import { AccountSession, type Credentials, type SessionDeps, type SessionParams } from '../session/session';
import type { SessionSlot } from './session-slot';

type AccountMethodName = 'register' | 'login' | 'logout' | 'listAccounts' | 'removeAccount' | 'getSession' | 'getConnectionStatus' | 'reconnect';

export interface AccountMethodsDeps {
  sessions: SessionSlot;
  accounts: AccountStore;
  settings: SettingsStore;
  events: CoreEmitter;
  /** What every session is built from. */
  session: SessionDeps;
}

export class AccountMethods implements Pick<CoreMethods, AccountMethodName> {
  constructor(private readonly deps: AccountMethodsDeps) {}

  register = async (args: ParsedArgs<'register'>): Promise<Session> =>
    this.startSession({
      username: args.username,
      endpoints: this.endpointsFor(args.server),
      credentials: { kind: 'register', password: args.password, nickname: args.nickname ?? args.username },
    });

  login = async (args: ParsedArgs<'login'>): Promise<Session> => {
    const stored = this.deps.accounts.byUsername(args.username);
    let credentials: Credentials;
    if (args.password !== undefined) credentials = { kind: 'password', password: args.password };
    else if (stored?.deviceToken) credentials = { kind: 'token', token: stored.deviceToken };
    else throw new CoreError('PASSWORD_REQUIRED', 'no stored sign-in for this account: enter the password');
    const endpoints = args.server ? this.endpointsFor(args.server) : stored && stored.endpoints.length > 0 ? stored.endpoints : this.endpointsFor(undefined);
    return this.startSession({
      username: args.username,
      endpoints,
      credentials,
      kickOtherSessions: args.kickOtherSessions ?? false,
      ...(stored ? { userId: stored.userId } : {}),
    });
  };

  logout = async (args: ParsedArgs<'logout'>): Promise<void> => {
    const session = this.deps.sessions.current;
    if (!session) return;
    const link = session.readyLink();
    if (link) {
      try {
        await link.request(Command.LOGOUT, { revokeDeviceToken: args.forget ?? false }, Math.min(this.deps.session.timings.requestTimeoutMs, 3000));
      } catch {
        // Signing out locally must work offline too.
      }
    }
    if (args.forget && session.userId !== undefined) this.deps.accounts.setToken(session.userId, undefined);
    this.deps.sessions.end();
    this.deps.events.emit('sessionEnded', { reason: 'logout' });
    this.deps.events.emit('connectionState', { state: 'offline' });
  };

  listAccounts = async (): Promise<AccountSummary[]> => this.deps.accounts.list();

  removeAccount = async (args: ParsedArgs<'removeAccount'>): Promise<void> => {
    if (this.deps.sessions.current?.userId === args.userId) await this.logout({ forget: true });
    if (!this.deps.accounts.remove(args.userId)) throw new CoreError('NOT_FOUND', 'no such account on this device');
    // The account's cache goes with it (the user asked to remove it from this device).
    rmSync(join(this.deps.session.dataDir, 'accounts', String(args.userId)), { recursive: true, force: true });
  };

  getSession = async (): Promise<Session | null> => {
    const session = this.deps.sessions.current;
    const scope = session?.live ? session.scope : undefined;
    if (!session || !scope || session.userId === undefined) return null;
    const stored = this.deps.accounts.byId(session.userId);
    const profile = scope.cache.profiles.get(session.userId) ?? session.profile;
    if (!stored || !profile) return null;
    return { account: summary(stored), profile };
  };

  getConnectionStatus = async (): Promise<ConnectionStatus> => this.deps.sessions.current?.connection ?? { state: 'offline' };

  reconnect = async (): Promise<void> => {
    this.deps.sessions.current?.reconnectNow();
  };

  private async startSession(params: SessionParams): Promise<Session> {
    const { sessions } = this.deps;
    const session = new AccountSession(this.deps.session, params, { onEnded: () => sessions.release(session) });
    sessions.set(session);
    try {
      await session.start();
    } catch (err) {
      sessions.release(session);
      session.dispose();
      throw err;
    }
    const result = await this.getSession();
    if (!result) throw new CoreError('NOT_LOGGED_IN', 'the session ended during login');
    this.deps.events.emit('unreadTotal', { total: sessions.account().cache.conversations.unreadTotal() });
    return result;
  }

  private endpointsFor(server: ServerEndpoint | undefined): ServerEndpoint[] {
    // A server named in the call is the account's server: only it is tried.
    const list = server ? [server] : this.deps.settings.get().servers;
    if (list.length === 0) throw new CoreError('INVALID_ARGUMENT', 'no server configured');
    return list;
  }
}
