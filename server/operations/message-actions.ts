/**
 * What a user does to a message after sending it: edit (own messages, within
 * the edit window), react (set or clear one emoji; idempotent), and hide
 * ("delete for me": only the caller's devices are told).
 *
 * Each change becomes an event carrying the state after it, for every
 * participant (edits and reactions) or for the caller alone (hide), so a
 * device that was offline converges by pulling, and applying an event twice
 * changes nothing. Recalled messages take no further action.
 */
import { create } from '@bufbuild/protobuf';
import { MessageEditedSchema, MessageHiddenSchema, MessageReactionsSchema, ResultCode, SyncDomain, type GroupRole, type Reaction } from '../../shared/protocol';
import type { Caller } from '../services/deps';
import { fail, invalid } from '../services/errors';
import { big } from '../services/validate';
import type { ConversationRow, MessageRow, ReactionRow, Tx } from '../storage/store';
import { writeOperation } from './operation';
import { conversationRefFor, parseMentions } from './render';
import { checkMentions, resolve, targetFor } from './messages';

/** Distinct emoji one message may carry, and reactions one user may put on it. */
export const MAX_EMOJI_PER_MESSAGE = 20;
export const MAX_REACTIONS_PER_USER = 3;

/** The message and its conversation, checking the caller is (still) a participant. */
async function visibleMessage(tx: Tx, caller: Caller, msgId: number): Promise<{ msg: MessageRow; conv: ConversationRow; participants: number[]; role: GroupRole }> {
  const msg = await tx.messages.byId(msgId);
  const conv = msg && (await tx.conversations.byId(msg.conv_id));
  if (!msg || !conv) throw fail(ResultCode.NOT_FOUND, 'no such message');
  const { participants, role } = await resolve(tx, caller, targetFor(conv, caller.userId), false);
  return { msg, conv, participants, role };
}

export interface EditArgs {
  caller: Caller;
  msgId: number;
  text: string;
  mentions: number[];
  editWindowMs: number;
}

export const editMessage = writeOperation('messages.edit', async ({ tx, events, now }, a: EditArgs) => {
  const { caller } = a;
  const { msg, conv, participants, role } = await visibleMessage(tx, caller, a.msgId);
  if (msg.sender_id !== caller.userId) throw fail(ResultCode.PERMISSION_DENIED, 'you may only edit your own messages');
  if (msg.recalled_by !== 0) throw fail(ResultCode.NOT_FOUND, 'the message was recalled');
  if (now - msg.sent_at > a.editWindowMs) throw fail(ResultCode.EDIT_WINDOW_EXPIRED, 'edit window expired');
  if (a.text.length === 0 && !msg.attachments) throw invalid('text', 'text is empty');
  const mentions = (await checkMentions(tx, a.mentions, conv, role)).join(',');
  if (a.text === msg.text && mentions === msg.mentions) return; // nothing changed: no event
  // Strictly increasing per message, so "apply if newer" orders two edits within one millisecond.
  const editedAt = Math.max(now, (msg.edited_at ?? 0) + 1);
  await tx.messages.edit(msg.id, a.text, mentions, editedAt);
  for (const userId of participants) {
    const value = create(MessageEditedSchema, {
      conversation: conversationRefFor(conv, userId),
      msgId: big(msg.id),
      convSeq: big(msg.conv_seq),
      text: a.text,
      mentions: parseMentions(mentions).map((id) => ({ userId: big(id) })),
      editedAt: big(editedAt),
    });
    events.append(userId, SyncDomain.MESSAGES, { case: 'edited', value });
  }
});

/** Reactions grouped by emoji, in order of first use; users in the order they reacted. */
export function groupReactions(rows: readonly ReactionRow[]): Array<Pick<Reaction, 'emoji' | 'userIds'>> {
  const byEmoji = new Map<string, bigint[]>();
  for (const r of rows) {
    const users = byEmoji.get(r.emoji) ?? [];
    users.push(big(r.user_id));
    byEmoji.set(r.emoji, users);
  }
  return [...byEmoji].map(([emoji, userIds]) => ({ emoji, userIds }));
}

export interface ReactArgs {
  caller: Caller;
  msgId: number;
  emoji: string;
  on: boolean;
}

export const reactToMessage = writeOperation('messages.react', async ({ tx, events, now }, a: ReactArgs) => {
  const { caller } = a;
  const { msg, conv, participants } = await visibleMessage(tx, caller, a.msgId);
  if (msg.recalled_by !== 0) throw fail(ResultCode.NOT_FOUND, 'the message was recalled');
  if (a.on) {
    const rows = await tx.reactions.list(msg.id);
    if (rows.some((r) => r.user_id === caller.userId && r.emoji === a.emoji)) return; // already set: idempotent
    if (rows.filter((r) => r.user_id === caller.userId).length >= MAX_REACTIONS_PER_USER) {
      throw fail(ResultCode.TOO_MANY_REACTIONS, `at most ${MAX_REACTIONS_PER_USER} reactions per message`);
    }
    if (!rows.some((r) => r.emoji === a.emoji) && new Set(rows.map((r) => r.emoji)).size >= MAX_EMOJI_PER_MESSAGE) {
      throw fail(ResultCode.TOO_MANY_REACTIONS, `at most ${MAX_EMOJI_PER_MESSAGE} different reactions per message`);
    }
    await tx.reactions.add({ msg_id: msg.id, user_id: caller.userId, emoji: a.emoji, at: now });
  } else if (!(await tx.reactions.remove(msg.id, caller.userId, a.emoji))) {
    return; // not set: idempotent
  }
  const version = await tx.messages.bumpReactionRev(msg.id);
  const reactions = groupReactions(await tx.reactions.list(msg.id));
  for (const userId of participants) {
    const value = create(MessageReactionsSchema, { conversation: conversationRefFor(conv, userId), msgId: big(msg.id), reactions, version: big(version) });
    events.append(userId, SyncDomain.MESSAGES, { case: 'reactions', value });
  }
});

/** Delete for me: the message stays for everyone else; the caller's devices drop it. */
export const hideMessage = writeOperation('messages.hide', async ({ tx, events }, a: { caller: Caller; msgId: number }) => {
  const { caller } = a;
  const msg = await tx.messages.byId(a.msgId);
  const conv = msg && (await tx.conversations.byId(msg.conv_id));
  if (!msg || !conv) throw fail(ResultCode.NOT_FOUND, 'no such message');
  // Anyone who could see it may hide it, even after leaving the group (no membership check).
  const mine = conv.user_lo === caller.userId || conv.user_hi === caller.userId || (conv.group_id !== null && (await tx.groups.member(conv.group_id, caller.userId)) !== undefined) || msg.sender_id === caller.userId;
  if (!mine) throw fail(ResultCode.NOT_FOUND, 'no such message');
  events.append(caller.userId, SyncDomain.MESSAGES, { case: 'hidden', value: create(MessageHiddenSchema, { conversation: conversationRefFor(conv, caller.userId), msgId: big(msg.id) }) });
});
