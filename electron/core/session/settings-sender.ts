/**
 * Conversation settings changed on this device (pin, mute, marked unread),
 * for the server, which tells the account's other devices
 * (CONVERSATION_SETTINGS_SET). Only the fields the user changed are sent, so
 * two devices changing different fields do not undo each other. What the
 * server has not confirmed is kept in the cache (it survives a restart) and
 * sent again whenever the connection comes back; the newest change of a
 * field wins.
 */
import type { ConversationKey } from '../../../shared/ipc';
import { isConversationKey } from '../../../shared/ipc/conversation-key';
import { Command } from '../../../shared/protocol';
import type { Cache } from '../cache/api';
import type { Link } from '../connection-manager';
import { CoreError, toErrorInfo } from '../errors';
import type { Logger } from '../log';
import { big, toWireRef } from '../wire';

export interface SettingsChange {
  pinned?: boolean;
  mutedUntil?: number;
  markedUnread?: boolean;
}

/** Cache meta key of the changes not confirmed yet. */
const PENDING = 'pendingConversationSettings';

export class SettingsSender {
  private readonly pending = new Map<ConversationKey, SettingsChange>();

  constructor(
    private readonly cache: Cache,
    private readonly link: () => Link | undefined,
    private readonly log: Logger,
  ) {
    const stored = cache.syncState.getMeta<Record<string, SettingsChange>>(PENDING);
    if (stored && typeof stored === 'object') {
      for (const [key, change] of Object.entries(stored)) if (isConversationKey(key)) this.pending.set(key, change);
    }
  }

  /** Sends the change now, or when the connection is back. */
  change(key: ConversationKey, change: SettingsChange): void {
    this.pending.set(key, { ...this.pending.get(key), ...change });
    this.save();
    this.flush();
  }

  /** Sends every change the server has not confirmed yet. */
  flush(): void {
    const link = this.link();
    if (!link) return;
    for (const [key, change] of [...this.pending]) {
      link
        .request(Command.CONVERSATION_SETTINGS_SET, {
          conversation: toWireRef(key),
          ...(change.pinned !== undefined ? { pinned: change.pinned } : {}),
          ...(change.mutedUntil !== undefined ? { mutedUntil: big(change.mutedUntil) } : {}),
          ...(change.markedUnread !== undefined ? { markedUnread: change.markedUnread } : {}),
        })
        .then(() => this.confirmed(key, change))
        .catch((err: unknown) => {
          // The conversation is gone on the server (a deleted account or group): nothing to tell.
          if (err instanceof CoreError && (err.code === 'NOT_FOUND' || err.code === 'INVALID_ARGUMENT')) this.confirmed(key, change);
          this.log.debug({ err: toErrorInfo(err) }, 'conversation settings not sent');
        });
    }
  }

  /** Forgets a change once sent, unless a newer one of the same conversation came meanwhile. */
  private confirmed(key: ConversationKey, sent: SettingsChange): void {
    if (this.pending.get(key) !== sent) return;
    this.pending.delete(key);
    this.save();
  }

  private save(): void {
    try {
      this.cache.syncState.setMeta(PENDING, this.pending.size > 0 ? Object.fromEntries(this.pending) : undefined);
    } catch (err) {
      // The account was closed while a request was out: the next session sends what is stored.
      this.log.debug({ err: toErrorInfo(err) }, 'pending conversation settings not saved');
    }
  }
}
