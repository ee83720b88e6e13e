/**
 * The MessengerCore: the shared/ipc contract implemented on top of one
 * account session at a time, the account store and the settings file.
 * Arguments arrive already validated (the shells parse them with
 * `methodSchemas`); failures reject with a CoreError whose `code` is a
 * ResultCode name or a LocalErrorCode.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ConnectionStatus,
  Contact,
  ConversationKey,
  FriendRequestView,
  GroupMemberView,
  GroupView,
  MessengerEvents,
  Profile,
  ServerEndpoint,
  Session,
  Settings,
} from '../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../shared/ipc/api';
import { directKey } from '../../shared/ipc/conversation-key';
import { Command, FriendRequestState, FriendState, GroupRole, SyncDomain, type GroupInfo } from '../../shared/protocol';
import { AccountStore, sameEndpoint, summary } from './account-store';
import type { OpenCache } from './cache/api';
import { profileFromWire } from './cache/wire';
import type { Clock } from './clock';
import { toWireRef } from './conversation-ref';
import { Emitter } from '../../shared/util/emitter';
import { CoreError } from './errors';
import { emitApplied } from './events';
import { big, num } from './ids';
import type { Connector } from './link';
import type { Logger } from './log';
import { AccountSession, type Credentials } from './session';
import { SettingsStore, type SettingsPatch } from './settings-store';
import type { Timings } from './timings';
import { TypingThrottle } from './typing';

export interface CoreDeps {
  dataDir: string;
  defaultServers: ServerEndpoint[];
  clock: Clock;
  timings: Timings;
  connector: Connector;
  openCache: OpenCache;
  log: Logger;
  deviceName: string;
  clientName: string;
  random?: () => number;
}

const ROLE_TO_WIRE = { owner: GroupRole.OWNER, admin: GroupRole.ADMIN, member: GroupRole.MEMBER } as const;

export class Core implements CoreMethods {
  private readonly emitter = new Emitter<MessengerEvents>();
  private readonly accounts: AccountStore;
  private readonly settings: SettingsStore;
  private session: AccountSession | undefined;
  private typing: TypingThrottle | undefined;
  private disposed = false;

  constructor(private readonly deps: CoreDeps) {
    this.accounts = new AccountStore(deps.dataDir);
    this.settings = new SettingsStore(deps.dataDir, deps.defaultServers);
  }

  on<E extends keyof MessengerEvents>(event: E, listener: (payload: MessengerEvents[E]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** System resume / network change: find a dead connection in seconds, or retry now. */
  probe(): void {
    this.session?.manager.probe();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.endSession();
    this.emitter.clear();
  }

  // ------------------------------------------------------------ accounts and session

  register = async (args: ParsedArgs<'register'>): Promise<Session> => {
    return this.startSession(args.username, this.endpointsFor(args.server), {
      kind: 'register',
      password: args.password,
      nickname: args.nickname ?? args.username,
    });
  };

  login = async (args: ParsedArgs<'login'>): Promise<Session> => {
    const stored = this.accounts.byUsername(args.username);
    let credentials: Credentials;
    if (args.password !== undefined) credentials = { kind: 'password', password: args.password };
    else if (stored?.deviceToken) credentials = { kind: 'token', token: stored.deviceToken };
    else throw new CoreError('PASSWORD_REQUIRED', 'no stored sign-in for this account: enter the password');
    const endpoints = args.server ? this.endpointsFor(args.server) : stored && stored.endpoints.length > 0 ? stored.endpoints : this.endpointsFor(undefined);
    return this.startSession(args.username, endpoints, credentials, { kickOtherSessions: args.kickOtherSessions ?? false, userId: stored?.userId });
  };

  logout = async (args: ParsedArgs<'logout'>): Promise<void> => {
    const session = this.session;
    if (!session) return;
    const link = session.readyLink();
    if (link) {
      try {
        await link.request(Command.LOGOUT, { revokeDeviceToken: args.forget ?? false }, Math.min(this.deps.timings.requestTimeoutMs, 3000));
      } catch {
        // Signing out locally must work offline too.
      }
    }
    if (args.forget && session.userId !== undefined) this.accounts.setToken(session.userId, undefined);
    this.endSession();
    this.emitter.emit('sessionEnded', { reason: 'logout' });
    this.emitter.emit('connectionState', { state: 'offline' });
  };

  listAccounts = async (): Promise<ReturnType<AccountStore['list']>> => this.accounts.list();

  removeAccount = async (args: ParsedArgs<'removeAccount'>): Promise<void> => {
    if (this.session?.userId === args.userId) await this.logout({ forget: true });
    if (!this.accounts.remove(args.userId)) throw new CoreError('NOT_FOUND', 'no such account on this device');
    // The account's cache goes with it (the user asked to remove it from this device).
    rmSync(join(this.deps.dataDir, 'accounts', String(args.userId)), { recursive: true, force: true });
  };

  getSession = async (): Promise<Session | null> => {
    const session = this.session;
    if (!session?.live || session.userId === undefined) return null;
    const stored = this.accounts.byId(session.userId);
    const profile = session.cache?.profiles.get(session.userId) ?? session.profile;
    if (!stored || !profile) return null;
    return { account: summary(stored), profile };
  };

  getConnectionStatus = async (): Promise<ConnectionStatus> => this.session?.manager.current ?? { state: 'offline' };

  reconnect = async (): Promise<void> => {
    this.session?.manager.reconnectNow();
  };

  // ------------------------------------------------------------ conversations and messages

  listConversations = async (args: ParsedArgs<'listConversations'>) =>
    this.cache().conversations.list({ limit: args.limit ?? 50, ...(args.cursor ? { cursor: args.cursor } : {}) });

  getConversation = async (args: ParsedArgs<'getConversation'>) => this.cache().conversations.get(args.key) ?? null;

  loadMessages = async (args: ParsedArgs<'loadMessages'>) =>
    this.cache().messages.page(args.key, { limit: args.limit ?? 50, ...(args.anchor ? { anchor: args.anchor } : {}) });

  sendMessage = async (args: ParsedArgs<'sendMessage'>) => {
    const session = this.requireSession();
    this.cache();
    return session.outbox!.send({
      key: args.key,
      text: args.text,
      ...(args.mentions ? { mentions: args.mentions } : {}),
      ...(args.replyToServerId !== undefined ? { replyToServerId: args.replyToServerId } : {}),
    });
  };

  resendMessage = async (args: ParsedArgs<'resendMessage'>) => {
    const session = this.requireSession();
    return session.outbox!.resend(args.messageId);
  };

  deleteMessage = async (args: ParsedArgs<'deleteMessage'>) => {
    const session = this.requireSession();
    const cache = this.cache();
    session.outbox!.discard(args.messageId);
    const removed = cache.messages.delete(args.messageId);
    if (!removed) throw new CoreError('NOT_FOUND', 'message not found');
    this.emitter.emit('messagesRemoved', { key: removed.key, ids: [args.messageId] });
    const conversation = cache.conversations.get(removed.key);
    if (conversation) this.emitter.emit('conversationsChanged', { conversations: [conversation] });
    this.emitter.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
  };

  recallMessage = async (args: ParsedArgs<'recallMessage'>) => {
    const session = this.requireSession();
    const cache = this.cache();
    const message = cache.messages.get(args.messageId);
    if (!message) throw new CoreError('NOT_FOUND', 'message not found');
    if (message.serverId === undefined) throw new CoreError('NOT_FOUND', 'the message has not reached the server yet');
    await session.requireLink().request(Command.MESSAGE_RECALL, { msgId: big(message.serverId) });
    const recalled = cache.messages.applyRecall({
      conversation: toWireRef(message.conversationKey),
      msgId: message.serverId,
      convSeq: message.convSeq ?? 0,
      recalledBy: session.userId ?? 0,
    });
    if (recalled) emitApplied(this.emitter, { messages: [recalled], conversations: this.conversationList(message.conversationKey) });
  };

  markRead = async (args: ParsedArgs<'markRead'>) => {
    const session = this.requireSession();
    const cache = this.cache();
    const { readSeq, changed, conversation } = cache.conversations.markRead(args.key);
    if (changed) {
      this.emitter.emit('conversationsChanged', { conversations: [conversation] });
      this.emitter.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
    }
    session.sendRead(args.key, readSeq);
  };

  setDraft = async (args: ParsedArgs<'setDraft'>) => {
    const conversation = this.cache().conversations.setDraft(args.key, args.text);
    this.emitter.emit('conversationsChanged', { conversations: [conversation] });
  };

  setPinned = async (args: ParsedArgs<'setPinned'>) => {
    const conversation = this.cache().conversations.setPinned(args.key, args.pinned);
    this.emitter.emit('conversationsChanged', { conversations: [conversation] });
  };

  setMuted = async (args: ParsedArgs<'setMuted'>) => {
    const cache = this.cache();
    const conversation = cache.conversations.setMuted(args.key, args.muted);
    this.emitter.emit('conversationsChanged', { conversations: [conversation] });
    this.emitter.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
  };

  sendTyping = async (args: ParsedArgs<'sendTyping'>) => {
    const session = this.requireSession();
    this.typing ??= new TypingThrottle(this.deps.clock, this.deps.timings.typingThrottleMs);
    if (!this.typing.shouldSend(args.key, args.typing)) return;
    const link = session.readyLink();
    if (!link) return; // typing is ephemeral: nothing to queue
    link
      .request(Command.TYPING, { conversation: toWireRef(args.key), typing: args.typing })
      .catch(() => undefined);
  };

  searchMessages = async (args: ParsedArgs<'searchMessages'>) =>
    this.cache().search.search({ query: args.query, limit: args.limit ?? 50, ...(args.key ? { key: args.key } : {}) });

  // ------------------------------------------------------------ friends and profiles

  listFriends = async (): Promise<Contact[]> => this.cache().contacts.listFriends();

  listFriendRequests = async (): Promise<FriendRequestView[]> => this.cache().contacts.listFriendRequests();

  findUser = async (args: ParsedArgs<'findUser'>): Promise<Profile | null> => {
    const list = await this.link().request(Command.USER_SEARCH, { username: args.username });
    const found = list.profiles[0];
    if (!found) return null;
    this.cache().profiles.upsert(found);
    return profileFromWire(found);
  };

  sendFriendRequest = async (args: ParsedArgs<'sendFriendRequest'>): Promise<FriendRequestView> => {
    let target: { case: 'userId'; value: ReturnType<typeof big> } | { case: 'username'; value: string };
    if (args.userId !== undefined) target = { case: 'userId', value: big(args.userId) };
    else if (args.username !== undefined) target = { case: 'username', value: args.username };
    else throw new CoreError('INVALID_ARGUMENT', 'sendFriendRequest: userId or username is required');
    const info = await this.link().request(Command.FRIEND_REQUEST, { target, message: args.message ?? '' });
    const { request } = this.cache().contacts.applyFriendRequest(info, this.responseSeq(SyncDomain.FRIENDS));
    this.emitter.emit('friendRequestsChanged', { requests: [request] });
    return request;
  };

  acceptFriendRequest = async (args: ParsedArgs<'acceptFriendRequest'>) => {
    await this.link().request(Command.FRIEND_ACCEPT, { requestId: big(args.requestId) });
    this.localRequestState(args.requestId, FriendRequestState.ACCEPTED);
  };

  declineFriendRequest = async (args: ParsedArgs<'declineFriendRequest'>) => {
    await this.link().request(Command.FRIEND_DECLINE, { requestId: big(args.requestId) });
    this.localRequestState(args.requestId, FriendRequestState.DECLINED);
  };

  removeFriend = async (args: ParsedArgs<'removeFriend'>) => {
    await this.link().request(Command.FRIEND_REMOVE, { userId: big(args.userId) });
    this.localFriendState(args.userId, FriendState.REMOVED);
  };

  blockUser = async (args: ParsedArgs<'blockUser'>) => {
    await this.link().request(Command.FRIEND_BLOCK, { userId: big(args.userId) });
    this.localFriendState(args.userId, FriendState.BLOCKED);
  };

  unblockUser = async (args: ParsedArgs<'unblockUser'>) => {
    await this.link().request(Command.FRIEND_UNBLOCK, { userId: big(args.userId) });
    // The server's sync event says what the relation is now (friend or none).
  };

  /** Cached profiles, plus the missing ones fetched from the server when connected. */
  getProfiles = async (args: ParsedArgs<'getProfiles'>): Promise<Profile[]> => {
    const cache = this.cache();
    const missing = cache.profiles.missing(args.userIds);
    const link = this.session?.readyLink();
    if (missing.length > 0 && link) {
      const list = await link.request(Command.PROFILE_GET, { userIds: missing.map((id) => big(id)) });
      cache.profiles.upsertMany(list.profiles);
    }
    return cache.profiles.getMany(args.userIds);
  };

  updateProfile = async (args: ParsedArgs<'updateProfile'>): Promise<Profile> => {
    const updated = await this.link().request(Command.PROFILE_UPDATE, {
      ...(args.nickname !== undefined ? { nickname: args.nickname } : {}),
      ...(args.avatar !== undefined ? { avatar: args.avatar } : {}),
      ...(args.signature !== undefined ? { signature: args.signature } : {}),
    });
    this.cache().profiles.upsert(updated);
    const session = this.requireSession();
    session.profile = profileFromWire(updated);
    return profileFromWire(updated);
  };

  // ------------------------------------------------------------ groups

  listGroups = async (): Promise<GroupView[]> => this.cache().groups.list();

  getGroup = async (args: ParsedArgs<'getGroup'>): Promise<GroupView | null> => {
    const cached = this.cache().groups.get(args.groupId);
    if (cached) return cached;
    const link = this.session?.readyLink();
    if (!link) return null;
    try {
      return this.applyGroup(await link.request(Command.GROUP_GET, { groupId: big(args.groupId) }));
    } catch (err) {
      if (err instanceof CoreError && (err.code === 'NOT_FOUND' || err.code === 'NOT_MEMBER')) return null;
      throw err;
    }
  };

  createGroup = async (args: ParsedArgs<'createGroup'>): Promise<GroupView> =>
    this.applyGroup(await this.link().request(Command.GROUP_CREATE, { name: args.name, memberIds: args.memberIds.map((id) => big(id)) }));

  renameGroup = async (args: ParsedArgs<'renameGroup'>): Promise<GroupView> =>
    this.applyGroup(await this.link().request(Command.GROUP_RENAME, { groupId: big(args.groupId), name: args.name }));

  inviteToGroup = async (args: ParsedArgs<'inviteToGroup'>) => {
    await this.link().request(Command.GROUP_INVITE, { groupId: big(args.groupId), userIds: args.userIds.map((id) => big(id)) });
  };

  removeFromGroup = async (args: ParsedArgs<'removeFromGroup'>) => {
    await this.link().request(Command.GROUP_REMOVE, { groupId: big(args.groupId), userIds: args.userIds.map((id) => big(id)) });
  };

  leaveGroup = async (args: ParsedArgs<'leaveGroup'>) => {
    await this.link().request(Command.GROUP_LEAVE, { groupId: big(args.groupId) });
  };

  dissolveGroup = async (args: ParsedArgs<'dissolveGroup'>) => {
    await this.link().request(Command.GROUP_DISSOLVE, { groupId: big(args.groupId) });
  };

  setGroupRole = async (args: ParsedArgs<'setGroupRole'>) => {
    await this.link().request(Command.GROUP_SET_ROLE, { groupId: big(args.groupId), userId: big(args.userId), role: ROLE_TO_WIRE[args.role] });
  };

  /** From the cache (the MEMBERS sync domain keeps it current); fetched in pages when the cache has none. */
  listGroupMembers = async (args: ParsedArgs<'listGroupMembers'>): Promise<GroupMemberView[]> => {
    const cache = this.cache();
    if (cache.members.count(args.groupId) > 0) return this.withPresence(args.groupId, cache.members.list(args.groupId));
    const link = this.session?.readyLink();
    if (!link) return [];
    const all: Awaited<ReturnType<typeof link.request<Command.GROUP_MEMBERS>>>['members'] = [];
    let after = 0;
    for (;;) {
      const page = await link.request(Command.GROUP_MEMBERS, { groupId: big(args.groupId), afterUserId: big(after), limit: 1000 });
      all.push(...page.members);
      const last = page.members[page.members.length - 1];
      if (!page.hasMore || !last) break;
      after = num(last.userId);
    }
    const members = cache.members.replaceAll(args.groupId, all);
    this.emitter.emit('membersChanged', { groupId: args.groupId, members });
    return this.withPresence(args.groupId, members);
  };

  /**
   * Presence is pushed for friends only, so a member list asks the server about
   * the other members (co-members may see each other) before it is shown.
   */
  private async withPresence(groupId: number, members: GroupMemberView[]): Promise<GroupMemberView[]> {
    const session = this.session;
    const others = members.filter((m) => m.userId !== session?.userId).map((m) => m.userId);
    if (!session || others.length === 0) return members;
    await session.queryPresence(others);
    return this.cache().members.list(groupId);
  }

  // ------------------------------------------------------------ settings

  getSettings = async (): Promise<Settings> => this.settings.get();

  updateSettings = async (args: ParsedArgs<'updateSettings'>): Promise<Settings> => {
    const before = this.settings.get();
    const next = this.settings.update(args as SettingsPatch);
    const session = this.session;
    if (args.servers && session && !sameList(before.servers, next.servers)) {
      const stored = session.userId !== undefined ? this.accounts.byId(session.userId) : undefined;
      // Accounts that follow the settings' server list pick up the change at the next attempt.
      if (!stored || sameList(stored.endpoints, before.servers)) {
        session.manager.setEndpoints(next.servers);
        if (stored) this.accounts.upsert({ ...stored, endpoints: next.servers });
      }
    }
    this.emitter.emit('settingsChanged', next);
    return next;
  };

  // ------------------------------------------------------------ internals

  private async startSession(username: string, endpoints: ServerEndpoint[], credentials: Credentials, options: { kickOtherSessions?: boolean; userId?: number | undefined } = {}): Promise<Session> {
    if (this.disposed) throw new CoreError('INTERNAL', 'the core was disposed');
    this.endSession();
    const session = new AccountSession(
      {
        dataDir: this.deps.dataDir,
        clock: this.deps.clock,
        timings: this.deps.timings,
        connector: this.deps.connector,
        openCache: this.deps.openCache,
        log: this.deps.log,
        accounts: this.accounts,
        emitter: this.emitter,
        deviceName: this.deps.deviceName,
        clientName: this.deps.clientName,
        ...(this.deps.random ? { random: this.deps.random } : {}),
      },
      username,
      endpoints,
      credentials,
      { ...(options.kickOtherSessions ? { kickOtherSessions: true } : {}), ...(options.userId !== undefined ? { userId: options.userId } : {}) },
    );
    session.onEnded = () => {
      if (this.session === session) this.session = undefined;
    };
    this.session = session;
    try {
      await session.start();
    } catch (err) {
      if (this.session === session) this.session = undefined;
      session.close();
      throw err;
    }
    const result = await this.getSession();
    if (!result) throw new CoreError('NOT_LOGGED_IN', 'the session ended during login');
    const cache = session.cache!;
    this.emitter.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
    return result;
  }

  private endSession(): void {
    const session = this.session;
    this.session = undefined;
    this.typing = undefined;
    session?.close();
  }

  private endpointsFor(server: ServerEndpoint | undefined): ServerEndpoint[] {
    // A server named in the call is the account's server: only it is tried.
    const list = server ? [server] : this.settings.get().servers;
    if (list.length === 0) throw new CoreError('INVALID_ARGUMENT', 'no server configured');
    return list;
  }

  private requireSession(): AccountSession {
    const session = this.session;
    if (!session?.live) throw new CoreError('NOT_LOGGED_IN', 'sign in first');
    return session;
  }

  private cache() {
    return this.requireSession().requireCache();
  }

  private link() {
    return this.requireSession().requireLink();
  }

  private conversationList(conversationKey: ConversationKey) {
    const conversation = this.session?.cache?.conversations.get(conversationKey);
    return conversation ? [conversation] : [];
  }

  /**
   * The cache orders snapshots by sync seq. A request's answer is at least as
   * new as everything applied so far, so it goes in at the domain's cursor:
   * it wins over what is cached, and the server's own event (a higher seq)
   * still wins over it.
   */
  private responseSeq(domain: SyncDomain): number {
    return this.cache().syncState.getCursor(domain);
  }

  private applyGroup(info: GroupInfo): GroupView {
    const { group } = this.cache().groups.apply(info, this.responseSeq(SyncDomain.GROUPS));
    this.emitter.emit('groupsChanged', { groups: [group] });
    return group;
  }

  private localRequestState(requestId: number, state: FriendRequestState): void {
    const cache = this.cache();
    const current = cache.contacts.listFriendRequests().find((r) => r.id === requestId);
    if (!current) return;
    // The server's sync event brings the authoritative state; this only makes the UI immediate.
    const { request } = cache.contacts.applyFriendRequest({
      requestId,
      fromUserId: current.direction === 'incoming' ? current.user.userId : (this.session?.userId ?? 0),
      toUserId: current.direction === 'incoming' ? (this.session?.userId ?? 0) : current.user.userId,
      message: current.message,
      state,
      createdAt: current.createdAt,
    }, this.responseSeq(SyncDomain.FRIENDS));
    this.emitter.emit('friendRequestsChanged', { requests: [request] });
  }

  private localFriendState(userId: number, state: FriendState): void {
    const cache = this.cache();
    const { contact } = cache.contacts.applyFriend({ userId, state, since: this.deps.clock.now() }, this.responseSeq(SyncDomain.FRIENDS));
    const friends = contact ? [contact] : [];
    if (friends.length > 0) this.emitter.emit('friendsChanged', { friends });
    const conversation = cache.conversations.get(directKey(userId));
    if (conversation) this.emitter.emit('conversationsChanged', { conversations: [conversation] });
  }
}

function sameList(a: readonly ServerEndpoint[], b: readonly ServerEndpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => sameEndpoint(e, b[i]!));
}
