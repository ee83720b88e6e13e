/** Storage rows -> protocol messages, from a given viewer's point of view. */
import { create, fromBinary } from '@bufbuild/protobuf';
import type {
  GroupRole} from '../../shared/protocol';
import {
  ConversationRefSchema,
  ConversationType,
  GroupInfoSchema,
  GroupMemberSchema,
  MessageSchema,
  ProfileSchema,
  type ConversationRef,
  type GroupInfo,
  type GroupMember,
  type Message,
  type Profile,
} from '../../shared/protocol';
import { big } from '../services/validate';
import { ConversationKind, type ConversationRow, type GroupMemberRow, type GroupRow, type MessageRow, type UserRow } from '../storage/store';

export function renderProfile(user: UserRow): Profile {
  return create(ProfileSchema, {
    userId: big(user.id),
    username: user.username,
    nickname: user.nickname,
    avatar: user.avatar,
    signature: user.signature,
    updatedAt: big(user.updated_at),
  });
}

/** The profile shown to users who may not see it in full (search results). */
export function renderPublicProfile(user: UserRow): Profile {
  return create(ProfileSchema, { userId: big(user.id), username: user.username, nickname: user.nickname, avatar: user.avatar, updatedAt: big(user.updated_at) });
}

export function conversationRefFor(conv: ConversationRow, viewerId: number): ConversationRef {
  if (conv.kind === ConversationKind.GROUP) {
    return create(ConversationRefSchema, { type: ConversationType.GROUP, id: big(conv.group_id ?? 0) });
  }
  const other = conv.user_lo === viewerId ? conv.user_hi : conv.user_lo;
  return create(ConversationRefSchema, { type: ConversationType.DIRECT, id: big(other ?? 0) });
}

export function parseMentions(mentions: string): number[] {
  return mentions === '' ? [] : mentions.split(',').map(Number);
}

export function renderMessage(row: MessageRow, conv: ConversationRow, viewerId: number): Message {
  // The structured parts (attachments, a group action) are kept as a Message protobuf.
  const parts = row.attachments ? fromBinary(MessageSchema, row.attachments) : undefined;
  return create(MessageSchema, {
    msgId: big(row.id),
    conversation: conversationRefFor(conv, viewerId),
    convSeq: big(row.conv_seq),
    senderId: big(row.sender_id),
    clientMsgId: row.client_msg_id,
    sentAt: big(row.sent_at),
    text: row.text,
    mentions: parseMentions(row.mentions).map((userId) => ({ userId: big(userId) })),
    replyToMsgId: big(row.reply_to),
    recalled: row.recalled_by !== 0,
    attachments: parts && row.recalled_by === 0 ? parts.attachments : [],
    ...(parts?.groupAction ? { groupAction: parts.groupAction } : {}),
    editedAt: big(row.recalled_by === 0 ? (row.edited_at ?? 0) : 0),
  });
}

export function renderGroup(group: GroupRow, myRole: GroupRole): GroupInfo {
  return create(GroupInfoSchema, {
    groupId: big(group.id),
    name: group.name,
    ownerId: big(group.owner_id),
    memberCount: group.member_count,
    myRole,
    dissolved: group.dissolved !== 0,
    createdAt: big(group.created_at),
    updatedAt: big(group.updated_at),
  });
}

export function renderMember(member: GroupMemberRow | { group_id: number; user_id: number; role: number; joined_at: number }, profile?: UserRow): GroupMember {
  return create(GroupMemberSchema, {
    groupId: big(member.group_id),
    userId: big(member.user_id),
    role: member.role as GroupRole,
    joinedAt: big(member.joined_at),
    profile: profile ? renderProfile(profile) : undefined,
  });
}
