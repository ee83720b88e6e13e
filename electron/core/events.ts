/** Turns cache change sets into the contract's events. */
import type { MessengerEvents } from '../../shared/ipc';
import type { AppliedChanges } from './cache/api';
import type { Emitter } from '../../shared/util/emitter';

export type CoreEmitter = Emitter<MessengerEvents>;

export function emitApplied(emitter: CoreEmitter, changes: Partial<AppliedChanges>): void {
  if (changes.messages && changes.messages.length > 0) emitter.emit('messagesChanged', { messages: changes.messages });
  for (const r of changes.removed ?? []) emitter.emit('messagesRemoved', r);
  if (changes.conversations && changes.conversations.length > 0) emitter.emit('conversationsChanged', { conversations: changes.conversations });
  if (changes.friends && changes.friends.length > 0) emitter.emit('friendsChanged', { friends: changes.friends });
  if (changes.friendRequests && changes.friendRequests.length > 0) emitter.emit('friendRequestsChanged', { requests: changes.friendRequests });
  if (changes.groups && changes.groups.length > 0) emitter.emit('groupsChanged', { groups: changes.groups });
  for (const m of changes.members ?? []) emitter.emit('membersChanged', m);
  if (changes.unreadTotal !== undefined) emitter.emit('unreadTotal', { total: changes.unreadTotal });
}
