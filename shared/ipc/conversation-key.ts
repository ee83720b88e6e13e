/**
 * Conversation keys (`u:<userId>`, `g:<groupId>`): the one place that builds
 * and parses them. Everything else calls these instead of writing template
 * strings, so the format lives here only.
 */
import type { ConversationKey, ConversationKind } from './types';

/** The key syntax: a kind letter, a colon, a positive integer below 2^53. */
export const conversationKeyPattern = /^[ug]:[1-9][0-9]{0,15}$/;

export function directKey(userId: number): ConversationKey {
  return `u:${userId}`;
}

export function groupKey(groupId: number): ConversationKey {
  return `g:${groupId}`;
}

export function conversationKey(kind: ConversationKind, id: number): ConversationKey {
  return kind === 'group' ? groupKey(id) : directKey(id);
}

/** True for a well-formed key whose id is a safe positive integer. */
export function isConversationKey(value: unknown): value is ConversationKey {
  return typeof value === 'string' && conversationKeyPattern.test(value) && Number.isSafeInteger(Number(value.slice(2)));
}

export function parseConversationKey(key: ConversationKey): { type: ConversationKind; id: number } {
  if (!isConversationKey(key)) throw new Error(`not a conversation key: ${JSON.stringify(String(key)).slice(0, 40)}`);
  return { type: key.startsWith('g:') ? 'group' : 'direct', id: Number(key.slice(2)) };
}
