/** The contract's conversation and message methods: lists, pages, sending, read positions, drafts, typing, search. */
import { isConversationKey, type ConversationKey, type ConversationView, type MessagePage, type MessageSearchHit, type Page } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import { Command } from '../../../shared/protocol';
import { CoreError } from '../errors';
import { emitApplied, type CoreEmitter } from '../events';
import { big, toWireRef } from '../wire';
import { MUTED_FOREVER } from '../cache/migrations/0002_mute_until';
import type { SessionSlot } from './session-slot';

type MessagingMethodName =
  | 'listConversations'
  | 'getConversation'
  | 'loadMessages'
  | 'sendMessage'
  | 'resendMessage'
  | 'recallMessage'
  | 'markRead'
  | 'setDraft'
  | 'setPinned'
  | 'setMuted'
  | 'markUnread'
  | 'deleteConversation'
  | 'setLastConversation'
  | 'getLastConversation'
  | 'sendTyping'
  | 'searchMessages';

/** Cache meta key of the conversation open when the app was last used (restored at launch). */
const LAST_CONVERSATION = 'ui.lastConversation';

export class MessagingMethods implements Pick<CoreMethods, MessagingMethodName> {
  constructor(
    private readonly sessions: SessionSlot,
    private readonly events: CoreEmitter,
    private readonly now: () => number,
  ) {}

  listConversations = async (args: ParsedArgs<'listConversations'>): Promise<Page<ConversationView>> =>
    this.sessions.account().cache.conversations.list({ limit: args.limit ?? 50, ...(args.cursor ? { cursor: args.cursor } : {}) });

  getConversation = async (args: ParsedArgs<'getConversation'>): Promise<ConversationView | null> =>
    this.sessions.account().cache.conversations.get(args.key) ?? null;

  loadMessages = async (args: ParsedArgs<'loadMessages'>): Promise<MessagePage> =>
    this.sessions.account().cache.messages.page(args.key, { limit: args.limit ?? 50, ...(args.anchor ? { anchor: args.anchor } : {}) });

  /** The message reaches the UI once, through `messagesChanged`; the call answers with its id. */
  sendMessage = async (args: ParsedArgs<'sendMessage'>): Promise<{ id: string }> => {
    const account = this.sessions.account();
    // Staged files move into place (pinned) first; the message then carries them through the outbox.
    const attachments = args.attachments ? await account.attachments.prepare(args.attachments) : undefined;
    const message = account.outbox.send({
      key: args.key,
      text: args.text,
      ...(args.mentions ? { mentions: args.mentions } : {}),
      ...(args.replyToServerId !== undefined ? { replyToServerId: args.replyToServerId } : {}),
      ...(attachments ? { attachments } : {}),
    });
    return { id: message.id };
  };

  /** The new state reaches the UI through `messagesChanged`. */
  resendMessage = async (args: ParsedArgs<'resendMessage'>): Promise<void> => {
    this.sessions.account().outbox.resend(args.messageId);
  };

  recallMessage = async (args: ParsedArgs<'recallMessage'>): Promise<void> => {
    const { cache } = this.sessions.account();
    const message = cache.messages.get(args.messageId);
    if (!message) throw new CoreError('NOT_FOUND', 'message not found');
    if (message.serverId === undefined) throw new CoreError('NOT_FOUND', 'the message has not reached the server yet');
    await this.sessions.link().request(Command.MESSAGE_RECALL, { msgId: big(message.serverId) });
    const recalled = cache.messages.applyRecall({
      conversation: toWireRef(message.conversationKey),
      msgId: message.serverId,
      convSeq: message.convSeq ?? 0,
      recalledBy: this.sessions.require().userId ?? 0,
    });
    if (!recalled) return;
    const conversation = cache.conversations.get(message.conversationKey);
    emitApplied(this.events, { messages: [recalled], ...(conversation ? { conversations: [conversation] } : {}) });
  };

  markRead = async (args: ParsedArgs<'markRead'>): Promise<void> => {
    const { cache, reads, settings } = this.sessions.account();
    const wasMarked = cache.conversations.get(args.key)?.markedUnread === true;
    const { readSeq, changed, conversation } = cache.conversations.markRead(args.key);
    // Reading ends "marked as unread" on every device (MARK_READ does it too, but not in a chat without messages).
    if (wasMarked) settings.change(args.key, { markedUnread: false });
    if (changed) {
      this.events.emit('conversationsChanged', { conversations: [conversation] });
      this.events.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
    }
    reads.report(args.key, readSeq);
  };

  setDraft = async (args: ParsedArgs<'setDraft'>): Promise<void> => {
    const conversation = this.sessions.account().cache.conversations.setDraft(args.key, args.text);
    this.events.emit('conversationsChanged', { conversations: [conversation] });
  };

  setPinned = async (args: ParsedArgs<'setPinned'>): Promise<void> => {
    const { cache, settings } = this.sessions.account();
    const conversation = cache.conversations.setPinned(args.key, args.pinned);
    settings.change(args.key, { pinned: args.pinned });
    this.events.emit('conversationsChanged', { conversations: [conversation] });
  };

  setMuted = async (args: ParsedArgs<'setMuted'>): Promise<void> => {
    const { cache, mutes, settings } = this.sessions.account();
    const until = !args.muted ? 0 : args.durationMs === undefined ? 'forever' : this.now() + args.durationMs;
    cache.conversations.setMuted(args.key, until);
    settings.change(args.key, { mutedUntil: until === 'forever' ? MUTED_FOREVER : until });
    mutes.reschedule();
    this.conversationChanged(args.key, true);
  };

  /** Marked unread on every device of the account (cleared by reading it on any). */
  markUnread = async (args: ParsedArgs<'markUnread'>): Promise<void> => {
    const { cache, settings } = this.sessions.account();
    if (!cache.conversations.markUnread(args.key).changed) return;
    settings.change(args.key, { markedUnread: true });
    this.conversationChanged(args.key, true);
  };

  deleteConversation = async (args: ParsedArgs<'deleteConversation'>): Promise<void> => {
    const { cache, outbox } = this.sessions.account();
    // What still waits to be sent in it goes too: the user deleted it.
    for (const entry of cache.outbox.listUnsent()) if (entry.key === args.key) outbox.discard(entry.clientMsgId);
    if (!cache.conversations.remove(args.key)) throw new CoreError('NOT_FOUND', 'conversation not found');
    if (cache.syncState.getMeta<string>(LAST_CONVERSATION) === args.key) cache.syncState.setMeta(LAST_CONVERSATION, undefined);
    this.events.emit('conversationRemoved', { key: args.key });
    this.events.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
  };

  setLastConversation = async (args: ParsedArgs<'setLastConversation'>): Promise<void> => {
    this.sessions.account().cache.syncState.setMeta(LAST_CONVERSATION, args.key ?? undefined);
  };

  getLastConversation = async (): Promise<ConversationKey | null> => {
    const { cache } = this.sessions.account();
    const key = cache.syncState.getMeta<string>(LAST_CONVERSATION);
    return typeof key === 'string' && isConversationKey(key) && cache.conversations.get(key) ? key : null;
  };

  sendTyping = async (args: ParsedArgs<'sendTyping'>): Promise<void> => {
    const { typing } = this.sessions.account();
    if (!typing.shouldSend(args.key, args.typing)) return;
    const link = this.sessions.readyLink();
    if (!link) return; // typing is ephemeral: nothing to queue
    link.request(Command.TYPING, { conversation: toWireRef(args.key), typing: args.typing }).catch(() => undefined);
  };

  searchMessages = async (args: ParsedArgs<'searchMessages'>): Promise<MessageSearchHit[]> =>
    this.sessions.account().cache.search.search({ query: args.query, limit: args.limit ?? 50, ...(args.key ? { key: args.key } : {}) });

  /** The conversation row after a local change, and the badge when its unread may have moved. */
  private conversationChanged(key: ConversationKey, unreadMayChange: boolean): void {
    const { cache } = this.sessions.account();
    const conversation = cache.conversations.get(key);
    if (conversation) this.events.emit('conversationsChanged', { conversations: [conversation] });
    if (unreadMayChange) this.events.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
  }
}
