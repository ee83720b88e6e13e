/**
 * Friend requests, friendships and blocks. Each user has their own row per
 * other user (friends table), so "A blocked B" and "B's view of A" differ.
 * Every change is a FRIENDS-domain sync event for each user it concerns.
 */
import { create } from '@bufbuild/protobuf';
import {
  FriendRequestInfoSchema,
  FriendRequestState,
  FriendSchema,
  FriendState,
  ResultCode,
  SyncDomain,
  type FriendRequestAnswer,
  type FriendRequestInfo,
  type FriendRequestSend,
} from '../../shared/protocol';
import type { FriendRequestRow } from '../storage/store';
import { blockedBetween, isFriend, requireUser } from './access';
import type { Caller, ServiceDeps } from './deps';
import { fail, invalid } from './errors';
import { renderProfile } from './render';
import { big, requireId, requireText } from './validate';

export class FriendService {
  constructor(private readonly deps: ServiceDeps) {}

  request(caller: Caller, req: FriendRequestSend): FriendRequestInfo {
    const { store, events, clock } = this.deps;
    const message = req.message === '' ? '' : requireText('message', req.message, 0, 200);
    return events.commit(() => {
      let target;
      switch (req.target.case) {
        case 'userId':
          target = store.users.byId(requireId('user_id', req.target.value));
          break;
        case 'username':
          target = store.users.byUsername(req.target.value);
          break;
        case undefined:
          throw invalid('target', 'user_id or username is required');
      }
      if (!target || target.disabled) throw fail(ResultCode.NOT_FOUND, 'no such user');
      if (target.id === caller.userId) throw invalid('target', 'cannot befriend yourself');
      if (blockedBetween(store, caller.userId, target.id)) throw fail(ResultCode.BLOCKED, 'blocked');
      if (isFriend(store, caller.userId, target.id)) throw fail(ResultCode.ALREADY_FRIENDS, 'already friends');
      if (store.friends.pendingBetween(caller.userId, target.id)) throw fail(ResultCode.REQUEST_PENDING, 'a request is already open');
      const id = store.friends.createRequest(caller.userId, target.id, message, clock.now());
      return this.publishRequest(store.friends.request(id)!);
    });
  }

  accept(caller: Caller, req: FriendRequestAnswer): void {
    const { store, events, clock } = this.deps;
    events.commit(() => {
      const request = this.openRequestTo(caller, req);
      if (blockedBetween(store, request.from_id, request.to_id)) throw fail(ResultCode.BLOCKED, 'blocked');
      const now = clock.now();
      store.friends.setRequestState(request.id, FriendRequestState.ACCEPTED, now);
      this.publishRequest(store.friends.request(request.id)!);
      for (const [a, b] of [[request.from_id, request.to_id], [request.to_id, request.from_id]] as const) {
        store.friends.set(a, b, FriendState.FRIEND, now);
        this.publishFriend(a, b);
      }
    });
  }

  decline(caller: Caller, req: FriendRequestAnswer): void {
    const { store, events, clock } = this.deps;
    events.commit(() => {
      const request = this.openRequestTo(caller, req);
      store.friends.setRequestState(request.id, FriendRequestState.DECLINED, clock.now());
      this.publishRequest(store.friends.request(request.id)!);
    });
  }

  remove(caller: Caller, rawUserId: bigint): void {
    const { store, events, clock } = this.deps;
    const userId = requireId('user_id', rawUserId);
    events.commit(() => {
      if (!isFriend(store, caller.userId, userId)) throw fail(ResultCode.NOT_FRIENDS, 'not friends');
      const now = clock.now();
      for (const [a, b] of [[caller.userId, userId], [userId, caller.userId]] as const) {
        if (store.friends.get(a, b)?.state === FriendState.FRIEND) {
          store.friends.set(a, b, FriendState.REMOVED, now);
          this.publishFriend(a, b);
        }
      }
    });
  }

  block(caller: Caller, rawUserId: bigint): void {
    const { store, events, clock } = this.deps;
    const userId = requireId('user_id', rawUserId);
    if (userId === caller.userId) throw invalid('user_id', 'cannot block yourself');
    events.commit(() => {
      requireUser(store, userId);
      const now = clock.now();
      if (store.friends.get(caller.userId, userId)?.state !== FriendState.BLOCKED) {
        store.friends.set(caller.userId, userId, FriendState.BLOCKED, now);
        this.publishFriend(caller.userId, userId);
      }
      // Blocking ends the friendship from the other side too.
      if (store.friends.get(userId, caller.userId)?.state === FriendState.FRIEND) {
        store.friends.set(userId, caller.userId, FriendState.REMOVED, now);
        this.publishFriend(userId, caller.userId);
      }
      const open = store.friends.pendingBetween(caller.userId, userId);
      if (open) {
        store.friends.setRequestState(open.id, FriendRequestState.DECLINED, now);
        this.publishRequest(store.friends.request(open.id)!);
      }
    });
  }

  unblock(caller: Caller, rawUserId: bigint): void {
    const { store, events, clock } = this.deps;
    const userId = requireId('user_id', rawUserId);
    events.commit(() => {
      if (store.friends.get(caller.userId, userId)?.state !== FriendState.BLOCKED) return; // idempotent
      store.friends.set(caller.userId, userId, FriendState.REMOVED, clock.now());
      this.publishFriend(caller.userId, userId);
    });
  }

  private openRequestTo(caller: Caller, req: FriendRequestAnswer): FriendRequestRow {
    const request = this.deps.store.friends.request(requireId('request_id', req.requestId));
    // A request addressed to someone else is reported as absent: it is not the caller's to see.
    if (!request || request.to_id !== caller.userId) throw fail(ResultCode.NOT_FOUND, 'no such request');
    if (request.state !== FriendRequestState.PENDING) throw fail(ResultCode.NOT_FOUND, 'request already answered');
    return request;
  }

  /** Sends the request's current state to both ends; returns it. */
  private publishRequest(row: FriendRequestRow): FriendRequestInfo {
    const { store, events } = this.deps;
    const info = create(FriendRequestInfoSchema, {
      requestId: big(row.id),
      fromUserId: big(row.from_id),
      toUserId: big(row.to_id),
      message: row.message,
      state: row.state as FriendRequestState,
      createdAt: big(row.created_at),
      fromProfile: renderProfile(requireUser(store, row.from_id)),
      toProfile: renderProfile(requireUser(store, row.to_id)),
    });
    events.appendToMany([row.from_id, row.to_id], SyncDomain.FRIENDS, { case: 'friendRequest', value: info });
    return info;
  }

  /** Sends `userId`'s view of `friendId` to `userId`. */
  private publishFriend(userId: number, friendId: number): void {
    const { store, events } = this.deps;
    const row = store.friends.get(userId, friendId)!;
    const friend = create(FriendSchema, {
      userId: big(friendId),
      state: row.state as FriendState,
      since: big(row.since),
      profile: renderProfile(requireUser(store, friendId)),
    });
    events.append(userId, SyncDomain.FRIENDS, { case: 'friend', value: friend });
  }
}
