/**
 * Settings a user shares across their devices: per conversation (pinned,
 * muted until, marked unread) and their last-seen privacy. Each change is a
 * SETTINGS-domain event for the user carrying the whole new state, so every
 * device converges on the newest one, online or at its next sync.
 */
import { create } from '@bufbuild/protobuf';
import { ConversationSettingsSchema, ConversationType, LastSeenVisibility, PrivacySettingsSchema, SyncDomain, type ConversationSettings, type PrivacySettings } from '../../shared/protocol';
import { ResultCode } from '../../shared/protocol';
import { fail } from '../services/errors';
import { big } from '../services/validate';
import type { ConversationSettingsRow, Tx } from '../storage/store';
import { isFriend, requireUser } from './access';
import type { EventWriter } from './events';
import { readOperation, writeOperation } from './operation';

/** A conversation as the user names it: the peer's user id, or the group id. */
export interface SettingsTarget {
  type: ConversationType;
  id: number;
}

export interface ConversationSettingsChange {
  userId: number;
  target: SettingsTarget;
  pinned?: boolean;
  mutedUntil?: number;
  markedUnread?: boolean;
}

export function renderConversationSettings(row: ConversationSettingsRow): ConversationSettings {
  return create(ConversationSettingsSchema, {
    conversation: { type: row.conv_type as ConversationType, id: big(row.target_id) },
    pinned: row.pinned !== 0,
    mutedUntil: big(row.muted_until),
    markedUnread: row.marked_unread !== 0,
    updatedAt: big(row.updated_at),
  });
}

async function requireTarget(tx: Tx, userId: number, target: SettingsTarget): Promise<void> {
  if (target.type === ConversationType.DIRECT) {
    if (target.id === userId) throw fail(ResultCode.NOT_FOUND, 'no conversation with yourself');
    await requireUser(tx, target.id);
    return;
  }
  // A group you left may still be in your list (its history): its settings stay yours to change.
  if (!(await tx.groups.byId(target.id))) throw fail(ResultCode.NOT_FOUND, 'no such group');
}

/** Stores the state and tells the user's devices; nothing when it did not change. */
async function store(tx: Tx, events: EventWriter, before: ConversationSettingsRow | undefined, next: ConversationSettingsRow): Promise<ConversationSettingsRow> {
  if (before && before.pinned === next.pinned && before.muted_until === next.muted_until && before.marked_unread === next.marked_unread) return before;
  await tx.conversationSettings.put(next);
  events.append(next.user_id, SyncDomain.SETTINGS, { case: 'conversationSettings', value: renderConversationSettings(next) });
  return next;
}

export const setConversationSettings = writeOperation('settings.conversation', async ({ tx, events, now }, a: ConversationSettingsChange) => {
  await requireTarget(tx, a.userId, a.target);
  const before = await tx.conversationSettings.get(a.userId, a.target.type, a.target.id);
  const next: ConversationSettingsRow = {
    user_id: a.userId,
    conv_type: a.target.type,
    target_id: a.target.id,
    pinned: a.pinned === undefined ? (before?.pinned ?? 0) : a.pinned ? 1 : 0,
    muted_until: a.mutedUntil ?? before?.muted_until ?? 0,
    marked_unread: a.markedUnread === undefined ? (before?.marked_unread ?? 0) : a.markedUnread ? 1 : 0,
    updated_at: now,
  };
  return renderConversationSettings(await store(tx, events, before, next));
});

/** Reading a conversation ends "marked as unread" on every device (called by MARK_READ, inside its transaction). */
export async function clearMarkedUnread(tx: Tx, events: EventWriter, now: number, userId: number, target: SettingsTarget): Promise<void> {
  const before = await tx.conversationSettings.get(userId, target.type, target.id);
  if (!before?.marked_unread) return;
  await store(tx, events, before, { ...before, marked_unread: 0, updated_at: now });
}

// ---------------------------------------------------------------- last-seen privacy

export function visibilityOf(stored: number | undefined): LastSeenVisibility {
  return stored === LastSeenVisibility.FRIENDS || stored === LastSeenVisibility.NOBODY ? stored : LastSeenVisibility.EVERYONE;
}

/** Whether `owner`'s setting lets `other` see their presence. */
async function allows(tx: Tx, owner: number, visibility: LastSeenVisibility, other: number): Promise<boolean> {
  switch (visibility) {
    case LastSeenVisibility.NOBODY:
      return false;
    case LastSeenVisibility.FRIENDS:
      return isFriend(tx, owner, other);
    default:
      return true;
  }
}

/**
 * Whether `viewer` may see `target`'s online state and last seen: both
 * settings must allow it (who hides theirs sees nobody's, as in Telegram).
 * The relationship itself (friend or co-member) is checked by the caller.
 */
export async function lastSeenVisible(tx: Tx, viewer: number, target: number): Promise<boolean> {
  if (viewer === target) return true;
  // Read together, as the two settings' checks: on PostgreSQL each pair shares a round trip (the connection pipelines).
  const [v, t] = await Promise.all([tx.users.byId(viewer), tx.users.byId(target)]);
  if (!v || !t) return false;
  const [theirs, mine] = await Promise.all([allows(tx, target, visibilityOf(t.last_seen_privacy), viewer), allows(tx, viewer, visibilityOf(v.last_seen_privacy), target)]);
  return theirs && mine;
}

export function renderPrivacy(stored: number | undefined): PrivacySettings {
  return create(PrivacySettingsSchema, { lastSeen: visibilityOf(stored) });
}

export const getPrivacy = readOperation('settings.getPrivacy', async ({ tx }, userId: number) => renderPrivacy((await requireUser(tx, userId)).last_seen_privacy));

/** Stores the setting and tells the user's devices; returns it and whether it changed. */
export const setPrivacy = writeOperation('settings.setPrivacy', async ({ tx, events }, a: { userId: number; lastSeen: LastSeenVisibility }) => {
  const user = await requireUser(tx, a.userId);
  const changed = visibilityOf(user.last_seen_privacy) !== a.lastSeen;
  if (changed) {
    await tx.users.setLastSeenPrivacy(a.userId, a.lastSeen);
    events.append(a.userId, SyncDomain.SETTINGS, { case: 'privacy', value: renderPrivacy(a.lastSeen) });
  }
  return { privacy: renderPrivacy(a.lastSeen), changed };
});
