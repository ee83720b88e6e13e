import type { ConversationKey } from './types';

export function directKey(userId: number): ConversationKey {
  return `u:${userId}`;
}

export function groupKey(groupId: number): ConversationKey {
  return `g:${groupId}`;
}

export function parseConversationKey(key: ConversationKey): { type: 'direct' | 'group'; id: number } {
  return { type: key.startsWith('g:') ? 'group' : 'direct', id: Number(key.slice(2)) };
}
