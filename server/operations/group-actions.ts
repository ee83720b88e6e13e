/**
 * Group service messages ("Alice created the group", "added Bob", "renamed
 * to ...", "left"): a message in the group's conversation whose sender is
 * the member who acted and whose `group_action` says what happened. It is
 * stored and synced like any message (conv seq, one MESSAGES event per
 * recipient), so it sits in history in order, brings a new group into every
 * member's chat list at once, and tells people they were added. The action
 * is kept in the row's `attachments` column, which holds a message's
 * structured parts as a Message protobuf (here with only `group_action` set).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { GroupActionSchema, MessageSchema, SyncDomain, type GroupActionKind } from '../../shared/protocol';
import { big } from '../services/validate';
import type { MessageRow } from '../storage/store';
import type { MessageHandle } from './events';
import type { WriteContext } from './operation';
import { renderMessage } from './render';

/** The client message id of a service message starts with this; clients may not use it (MESSAGE_SEND refuses). */
export const GROUP_ACTION_ID_PREFIX = 'group:';

export interface GroupActionArgs {
  groupId: number;
  /** Who did it: the message's sender. */
  actorId: number;
  kind: GroupActionKind;
  userIds?: readonly number[];
  name?: string;
  /** Who gets the message: the members after the change, and those it concerns (removed, left). */
  audience: readonly number[];
}

export async function postGroupAction({ tx, events, now }: WriteContext, a: GroupActionArgs): Promise<void> {
  const conv = await tx.conversations.ensureGroup(a.groupId);
  const convSeq = await tx.conversations.nextSeq(conv.id);
  const action = create(GroupActionSchema, { kind: a.kind, userIds: (a.userIds ?? []).map(big), name: a.name ?? '' });
  const message: MessageHandle & { row?: MessageRow } = { id: 0, render: (viewer) => renderMessage(message.row!, conv, viewer) };
  const recipients = [...new Set(a.audience)];
  const appended = recipients.map((userId) => ({ userId, event: events.appendMessage(userId, SyncDomain.MESSAGES, message) }));
  await events.allocate();
  const row: Omit<MessageRow, 'id' | 'recalled_by'> = {
    conv_id: conv.id,
    conv_seq: convSeq,
    sender_id: a.actorId,
    // Unique per (sender, client id) like every message.
    client_msg_id: `${GROUP_ACTION_ID_PREFIX}${a.groupId}:${convSeq}`,
    sent_at: now,
    text: '',
    mentions: '',
    reply_to: 0,
    sender_seq: appended.find((e) => e.userId === a.actorId)?.event.seq ?? 0,
    attachments: toBinary(MessageSchema, create(MessageSchema, { groupAction: action })),
  };
  message.id = await tx.messages.insert(row);
  message.row = { ...row, id: message.id, recalled_by: 0 };
}
