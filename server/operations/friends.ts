/**
 * Friend requests, friendships and blocks. Each user has their own row per
 * other user (friends table), so "A blocked B" and "B's view of A" differ.
 * Every change is a FRIENDS-domain sync event for each user it concerns.
 */
import { create } from '@bufbuild/protobuf';
import { FriendRequestInfoSchema, FriendRequestState, FriendSchema, FriendState, ResultCode, SyncDomain, type FriendRequestInfo } from '../../shared/protocol';
import type { FriendRequestRow } from '../storage/store';
import type { Caller } from '../services/deps';
import { fail, invalid } from '../services/errors';
import { big } from '../services/validate';
import { blockedBetween, isFriend, requireUser } from './access';
import { writeOperation, type WriteContext } from './operation';
import { renderProfile } from './render';

export const requestFriend = writeOperation(
  'friends.request',
  async (ctx, a: { caller: Caller; target: { userId: number } | { username: string }; message: string }): Promise<FriendRequestInfo> => {
    const { tx, now } = ctx;
    const { caller } = a;
    const target = 'userId' in a.target ? await tx.users.byId(a.target.userId) : await tx.users.byUsername(a.target.username);
    if (!target || target.disabled) throw fail(ResultCode.NOT_FOUND, 'no such user');
    if (target.id === caller.userId) throw invalid('target', 'cannot befriend yourself');
    if (await blockedBetween(tx, caller.userId, target.id)) throw fail(ResultCode.BLOCKED, 'blocked');
    if (await isFriend(tx, caller.userId, target.id)) throw fail(ResultCode.ALREADY_FRIENDS, 'already friends');
    if (await tx.friends.pendingBetween(caller.userId, target.id)) throw fail(ResultCode.REQUEST_PENDING, 'a request is already open');
    const id = await tx.friends.createRequest(caller.userId, target.id, a.message, now);
    return publishRequest(ctx, (await tx.friends.request(id))!);
  },
);

export const acceptFriend = writeOperation('friends.accept', async (ctx, a: { caller: Caller; requestId: number }) => {
  const { tx, now } = ctx;
  const request = await openRequestTo(ctx, a.caller, a.requestId);
  if (await blockedBetween(tx, request.from_id, request.to_id)) throw fail(ResultCode.BLOCKED, 'blocked');
  await tx.friends.setRequestState(request.id, FriendRequestState.ACCEPTED, now);
  await publishRequest(ctx, (await tx.friends.request(request.id))!);
  for (const [x, y] of [[request.from_id, request.to_id], [request.to_id, request.from_id]] as const) {
    await tx.friends.set(x, y, FriendState.FRIEND, now);
    await publishFriend(ctx, x, y);
  }
});

export const declineFriend = writeOperation('friends.decline', async (ctx, a: { caller: Caller; requestId: number }) => {
  const request = await openRequestTo(ctx, a.caller, a.requestId);
  await ctx.tx.friends.setRequestState(request.id, FriendRequestState.DECLINED, ctx.now);
  await publishRequest(ctx, (await ctx.tx.friends.request(request.id))!);
});

export const removeFriend = writeOperation('friends.remove', async (ctx, a: { caller: Caller; userId: number }) => {
  const { tx, now } = ctx;
  const me = a.caller.userId;
  if (!(await isFriend(tx, me, a.userId))) throw fail(ResultCode.NOT_FRIENDS, 'not friends');
  for (const [x, y] of [[me, a.userId], [a.userId, me]] as const) {
    if ((await tx.friends.get(x, y))?.state === FriendState.FRIEND) {
      await tx.friends.set(x, y, FriendState.REMOVED, now);
      await publishFriend(ctx, x, y);
    }
  }
});

export const blockUser = writeOperation('friends.block', async (ctx, a: { caller: Caller; userId: number }) => {
  const { tx, now } = ctx;
  const me = a.caller.userId;
  await requireUser(tx, a.userId);
  if ((await tx.friends.get(me, a.userId))?.state !== FriendState.BLOCKED) {
    await tx.friends.set(me, a.userId, FriendState.BLOCKED, now);
    await publishFriend(ctx, me, a.userId);
  }
  // Blocking ends the friendship from the other side too.
  if ((await tx.friends.get(a.userId, me))?.state === FriendState.FRIEND) {
    await tx.friends.set(a.userId, me, FriendState.REMOVED, now);
    await publishFriend(ctx, a.userId, me);
  }
  const open = await tx.friends.pendingBetween(me, a.userId);
  if (open) {
    await tx.friends.setRequestState(open.id, FriendRequestState.DECLINED, now);
    await publishRequest(ctx, (await tx.friends.request(open.id))!);
  }
});

export const unblockUser = writeOperation('friends.unblock', async (ctx, a: { caller: Caller; userId: number }) => {
  const me = a.caller.userId;
  if ((await ctx.tx.friends.get(me, a.userId))?.state !== FriendState.BLOCKED) return; // idempotent
  await ctx.tx.friends.set(me, a.userId, FriendState.REMOVED, ctx.now);
  await publishFriend(ctx, me, a.userId);
});

async function openRequestTo({ tx }: WriteContext, caller: Caller, requestId: number): Promise<FriendRequestRow> {
  const request = await tx.friends.request(requestId);
  // A request addressed to someone else is reported as absent: it is not the caller's to see.
  if (!request || request.to_id !== caller.userId) throw fail(ResultCode.NOT_FOUND, 'no such request');
  if (request.state !== FriendRequestState.PENDING) throw fail(ResultCode.NOT_FOUND, 'request already answered');
  return request;
}

/** Sends the request's current state to both ends; returns it. */
async function publishRequest({ tx, events }: WriteContext, row: FriendRequestRow): Promise<FriendRequestInfo> {
  const info = create(FriendRequestInfoSchema, {
    requestId: big(row.id),
    fromUserId: big(row.from_id),
    toUserId: big(row.to_id),
    message: row.message,
    state: row.state as FriendRequestState,
    createdAt: big(row.created_at),
    fromProfile: renderProfile(await requireUser(tx, row.from_id)),
    toProfile: renderProfile(await requireUser(tx, row.to_id)),
  });
  events.appendToMany([row.from_id, row.to_id], SyncDomain.FRIENDS, { case: 'friendRequest', value: info });
  return info;
}

/** Sends `userId`'s view of `friendId` to `userId`. */
async function publishFriend({ tx, events }: WriteContext, userId: number, friendId: number): Promise<void> {
  const row = (await tx.friends.get(userId, friendId))!;
  const friend = create(FriendSchema, {
    userId: big(friendId),
    state: row.state as FriendState,
    since: big(row.since),
    profile: renderProfile(await requireUser(tx, friendId)),
  });
  events.append(userId, SyncDomain.FRIENDS, { case: 'friend', value: friend });
}
