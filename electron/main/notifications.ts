/**
 * Decides when to notify, for which messages, and what a click does.
 *
 * - Candidates: incoming messages (not outgoing, not from my own user id,
 *   i.e. not my other devices), not recalled, not seen before (messagesChanged
 *   also reports status changes of old messages).
 * - Coalescing: candidates are collected for `coalesceMs` after the first one,
 *   then one notification per conversation (a newer one replaces the older
 *   one of the same conversation).
 * - None when the window is in front (visible, not minimised, focused), for
 *   muted conversations, for conversations already read elsewhere (unread 0),
 *   or at privacy 'off'. The taskbar flashes when the window is hidden or
 *   unfocused (once per batch, independent of privacy except 'off').
 * - A click shows the window and emits `openConversation`.
 * - When a conversation's unread count drops to 0 (read here or on another
 *   device) its notification is closed.
 */
import type { ConversationKey, ConversationView, MessageView, NotificationPrivacy } from '../../shared/ipc';
import type { ShellLog } from '../host/log';
import type { Clock } from './clock';
import { notificationText, type NotificationText } from './notification-text';
import type { MainStrings } from './strings';

export interface NotificationHandle {
  close(): void;
}

export interface NotificationRequest extends NotificationText {
  key: ConversationKey;
  silent: boolean;
  onClick(): void;
}

export interface NotificationDeps {
  clock: Clock;
  log?: ShellLog;
  appName: string;
  /** Shows an OS notification (Electron's Notification in production). */
  show(request: NotificationRequest): NotificationHandle;
  /** Whether the OS supports notifications at all. */
  supported(): boolean;
  window: {
    /** Visible, not minimised and focused: the user is looking at the app. */
    isInFront(): boolean;
    /** Restore + show + focus. */
    bringToFront(): void;
    /** Flash the taskbar / bounce the dock. */
    requestAttention(): void;
  };
  settings(): { privacy: NotificationPrivacy; sound: boolean; strings: MainStrings };
  selfUserId(): number | null;
  conversation(key: ConversationKey): Promise<Pick<ConversationView, 'key' | 'type' | 'title' | 'unread' | 'muted'> | null>;
  /** Display names for senders (group messages). */
  senderNames(userIds: number[]): Promise<Map<number, string>>;
  openConversation(key: ConversationKey): void;
}

export const defaultCoalesceMs = 400;
/** Remembered message ids (to tell a new message from a status change). */
const seenLimit = 5000;
/** At most this many notifications for one batch (e.g. after waking up). */
const maxPerBatch = 5;

export class NotificationCenter {
  private readonly seen = new Set<string>();
  private batch = new Map<ConversationKey, MessageView[]>();
  private timer: unknown = null;
  private readonly shown = new Map<ConversationKey, NotificationHandle>();
  private disposed = false;

  constructor(
    private readonly deps: NotificationDeps,
    private readonly coalesceMs = defaultCoalesceMs,
  ) {}

  /** Feed every `messagesChanged` event. */
  onMessagesChanged(messages: readonly MessageView[]): void {
    if (this.disposed) return;
    const self = this.deps.selfUserId();
    for (const m of messages) {
      if (this.seen.has(m.id)) continue;
      this.remember(m.id);
      if (m.outgoing || m.recalled || (self !== null && m.senderId === self)) continue;
      const list = this.batch.get(m.conversationKey) ?? [];
      list.push(m);
      this.batch.set(m.conversationKey, list);
    }
    if (this.batch.size > 0 && this.timer === null) {
      this.timer = this.deps.clock.setTimeout(() => {
        this.timer = null;
        void this.flush().catch((error: unknown) => this.deps.log?.warn({ err: String(error) }, 'notification flush failed'));
      }, this.coalesceMs);
    }
  }

  /** Feed every `conversationsChanged` event: closes notifications of conversations read elsewhere. */
  onConversationsChanged(conversations: readonly Pick<ConversationView, 'key' | 'unread'>[]): void {
    for (const c of conversations) {
      if (c.unread === 0) this.closeFor(c.key);
    }
  }

  /** The conversation was opened in the UI or removed. */
  closeFor(key: ConversationKey): void {
    this.shown.get(key)?.close();
    this.shown.delete(key);
  }

  /** Messages of a previous session must not re-notify: call on logout/account switch. */
  reset(): void {
    this.seen.clear();
    this.batch.clear();
    this.closeAll();
  }

  closeAll(): void {
    for (const handle of this.shown.values()) handle.close();
    this.shown.clear();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.batch.clear();
    this.closeAll();
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > seenLimit) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = new Map();
    if (this.disposed || batch.size === 0) return;
    const { privacy, sound, strings } = this.deps.settings();
    if (privacy === 'off' || this.deps.window.isInFront()) return;

    const entries: Array<{ conversation: NonNullable<Awaited<ReturnType<NotificationDeps['conversation']>>>; messages: MessageView[] }> = [];
    for (const [key, messages] of batch) {
      const conversation = await this.deps.conversation(key);
      if (!conversation || conversation.muted || conversation.unread === 0) continue;
      entries.push({ conversation, messages });
    }
    if (entries.length === 0 || this.disposed) return;
    this.deps.window.requestAttention();
    if (!this.deps.supported()) return;

    const needNames = new Set<number>();
    for (const e of entries) if (e.conversation.type === 'group') for (const m of e.messages) needNames.add(m.senderId);
    const names = needNames.size > 0 && privacy !== 'count' ? await this.deps.senderNames([...needNames]) : new Map<number, string>();
    if (this.disposed) return;

    // Most recent conversations first; beyond the cap, they still flash and badge.
    entries.sort((a, b) => (b.messages.at(-1)?.sentAt ?? 0) - (a.messages.at(-1)?.sentAt ?? 0));
    for (const { conversation, messages } of entries.slice(0, maxPerBatch)) {
      const text = notificationText(privacy, strings, this.deps.appName, {
        conversation,
        messages,
        senderName: (id) => names.get(id) ?? `#${id}`,
      });
      if (!text) continue;
      const key = conversation.key;
      this.closeFor(key);
      const handle = this.deps.show({
        ...text,
        key,
        silent: !sound,
        onClick: () => {
          this.closeFor(key);
          this.deps.window.bringToFront();
          this.deps.openConversation(key);
        },
      });
      this.shown.set(key, handle);
    }
  }
}
