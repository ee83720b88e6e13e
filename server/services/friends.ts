/** Friend requests, friendships and blocks: checks the request, runs the operation (server/operations/friends.ts). */
import type { FriendRequestAnswer, FriendRequestInfo, FriendRequestSend } from '../../shared/protocol';
import { acceptFriend, blockUser, declineFriend, removeFriend, requestFriend, unblockUser } from '../operations/friends';
import type { Caller, ServiceDeps } from './deps';
import { invalid } from './errors';
import { requireId, requireText } from './validate';

export class FriendService {
  constructor(private readonly deps: ServiceDeps) {}

  request(caller: Caller, req: FriendRequestSend): Promise<FriendRequestInfo> {
    const message = req.message === '' ? '' : requireText('message', req.message, 0, 200);
    let target: { userId: number } | { username: string };
    switch (req.target.case) {
      case 'userId':
        target = { userId: requireId('user_id', req.target.value) };
        break;
      case 'username':
        target = { username: req.target.value };
        break;
      case undefined:
        throw invalid('target', 'user_id or username is required');
    }
    return this.deps.run.write(requestFriend, { caller, target, message });
  }

  accept(caller: Caller, req: FriendRequestAnswer): Promise<void> {
    return this.deps.run.write(acceptFriend, { caller, requestId: requireId('request_id', req.requestId) });
  }

  decline(caller: Caller, req: FriendRequestAnswer): Promise<void> {
    return this.deps.run.write(declineFriend, { caller, requestId: requireId('request_id', req.requestId) });
  }

  remove(caller: Caller, rawUserId: bigint): Promise<void> {
    return this.deps.run.write(removeFriend, { caller, userId: requireId('user_id', rawUserId) });
  }

  block(caller: Caller, rawUserId: bigint): Promise<void> {
    const userId = requireId('user_id', rawUserId);
    if (userId === caller.userId) throw invalid('user_id', 'cannot block yourself');
    return this.deps.run.write(blockUser, { caller, userId });
  }

  unblock(caller: Caller, rawUserId: bigint): Promise<void> {
    return this.deps.run.write(unblockUser, { caller, userId: requireId('user_id', rawUserId) });
  }
}
