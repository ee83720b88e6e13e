/** The contract's friend and profile methods. */
import type { Contact, FriendRequestState, FriendRequestView, FriendState, Profile } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import { directKey } from '../../../shared/ipc/conversation-key';
import { Command, SyncDomain } from '../../../shared/protocol';
import type { Clock } from '../clock';
import { CoreError } from '../errors';
import type { CoreEmitter } from '../events';
import { big, friendRequestState, friendState, profileFromWire } from '../wire';
import { responseSeq } from './response-seq';
import type { SessionSlot } from './session-slot';

type ContactMethodName =
  | 'listFriends'
  | 'listFriendRequests'
  | 'findUser'
  | 'sendFriendRequest'
  | 'acceptFriendRequest'
  | 'declineFriendRequest'
  | 'removeFriend'
  | 'blockUser'
  | 'unblockUser'
  | 'getProfiles'
  | 'updateProfile';

export class ContactMethods implements Pick<CoreMethods, ContactMethodName> {
  constructor(
    private readonly sessions: SessionSlot,
    private readonly events: CoreEmitter,
    private readonly clock: Clock,
  ) {}

  listFriends = async (): Promise<Contact[]> => this.sessions.account().cache.contacts.listFriends();

  listFriendRequests = async (): Promise<FriendRequestView[]> => this.sessions.account().cache.contacts.listFriendRequests();

  findUser = async (args: ParsedArgs<'findUser'>): Promise<Profile | null> => {
    const list = await this.sessions.link().request(Command.USER_SEARCH, { username: args.username });
    const found = list.profiles[0];
    if (!found) return null;
    this.sessions.account().cache.profiles.upsert(found);
    return profileFromWire(found);
  };

  sendFriendRequest = async (args: ParsedArgs<'sendFriendRequest'>): Promise<FriendRequestView> => {
    let target: { case: 'userId'; value: bigint } | { case: 'username'; value: string };
    if (args.userId !== undefined) target = { case: 'userId', value: big(args.userId) };
    else if (args.username !== undefined) target = { case: 'username', value: args.username };
    else throw new CoreError('INVALID_ARGUMENT', 'sendFriendRequest: userId or username is required');
    const info = await this.sessions.link().request(Command.FRIEND_REQUEST, { target, message: args.message ?? '' });
    const { cache } = this.sessions.account();
    const { request } = cache.contacts.applyFriendRequest(info, responseSeq(cache, SyncDomain.FRIENDS));
    this.events.emit('friendRequestsChanged', { requests: [request] });
    return request;
  };

  acceptFriendRequest = async (args: ParsedArgs<'acceptFriendRequest'>): Promise<void> => {
    await this.sessions.link().request(Command.FRIEND_ACCEPT, { requestId: big(args.requestId) });
    this.localRequestState(args.requestId, 'accepted');
  };

  declineFriendRequest = async (args: ParsedArgs<'declineFriendRequest'>): Promise<void> => {
    await this.sessions.link().request(Command.FRIEND_DECLINE, { requestId: big(args.requestId) });
    this.localRequestState(args.requestId, 'declined');
  };

  removeFriend = async (args: ParsedArgs<'removeFriend'>): Promise<void> => {
    await this.sessions.link().request(Command.FRIEND_REMOVE, { userId: big(args.userId) });
    this.localFriendState(args.userId, 'removed');
  };

  blockUser = async (args: ParsedArgs<'blockUser'>): Promise<void> => {
    await this.sessions.link().request(Command.FRIEND_BLOCK, { userId: big(args.userId) });
    this.localFriendState(args.userId, 'blocked');
  };

  unblockUser = async (args: ParsedArgs<'unblockUser'>): Promise<void> => {
    await this.sessions.link().request(Command.FRIEND_UNBLOCK, { userId: big(args.userId) });
    // The server's sync event says what the relation is now (friend or none).
  };

  /** Cached profiles, plus the missing ones fetched from the server when connected. */
  getProfiles = async (args: ParsedArgs<'getProfiles'>): Promise<Profile[]> => {
    const { cache } = this.sessions.account();
    const missing = cache.profiles.missing(args.userIds);
    const link = this.sessions.readyLink();
    if (missing.length > 0 && link) {
      const list = await link.request(Command.PROFILE_GET, { userIds: missing.map((id) => big(id)) });
      cache.profiles.upsertMany(list.profiles);
    }
    return cache.profiles.getMany(args.userIds);
  };

  updateProfile = async (args: ParsedArgs<'updateProfile'>): Promise<Profile> => {
    const updated = await this.sessions.link().request(Command.PROFILE_UPDATE, {
      ...(args.nickname !== undefined ? { nickname: args.nickname } : {}),
      ...(args.avatar !== undefined ? { avatar: args.avatar } : {}),
      ...(args.signature !== undefined ? { signature: args.signature } : {}),
    });
    // The cache is where getSession reads the profile from.
    this.sessions.account().cache.profiles.upsert(updated);
    return profileFromWire(updated);
  };

  /** Makes the UI immediate; the server's sync event brings the authoritative state. */
  private localRequestState(requestId: number, state: FriendRequestState): void {
    const { cache } = this.sessions.account();
    const me = this.sessions.require().userId ?? 0;
    const current = cache.contacts.listFriendRequests().find((r) => r.id === requestId);
    if (!current) return;
    const incoming = current.direction === 'incoming';
    const { request } = cache.contacts.applyFriendRequest(
      {
        requestId,
        fromUserId: incoming ? current.user.userId : me,
        toUserId: incoming ? me : current.user.userId,
        message: current.message,
        state: friendRequestState.toWire(state),
        createdAt: current.createdAt,
      },
      responseSeq(cache, SyncDomain.FRIENDS),
    );
    this.events.emit('friendRequestsChanged', { requests: [request] });
  }

  private localFriendState(userId: number, state: FriendState): void {
    const { cache } = this.sessions.account();
    const { contact } = cache.contacts.applyFriend({ userId, state: friendState.toWire(state), since: this.clock.now() }, responseSeq(cache, SyncDomain.FRIENDS));
    if (contact) this.events.emit('friendsChanged', { friends: [contact] });
    const conversation = cache.conversations.get(directKey(userId));
    if (conversation) this.events.emit('conversationsChanged', { conversations: [conversation] });
  }
}
