/** The contract's conversation and message methods: lists, pages, sending, read positions, drafts, typing, search. */
import type { ConversationKey, ConversationView, MessagePage, MessageSearchHit, Page } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import { Command } from '../../../shared/protocol';
import { CoreError } from '../errors';
import { emitApplied, type CoreEmitter } from '../events';
import { big, toWireRef } from '../wire';
import type { SessionSlot } from './session-slot';

type MessagingMethodName =
  | 'listConversations'
  | 'getConversation'
  | 'loadMessages'
  | 'sendMessage'
  | 'resendMessage'
  | 'deleteMessage'
  | 'recallMessage'
  | 'markRead'
  | 'setDraft'
  | 'setPinned'
  | 'setMuted'
  | 'sendTyping'
  | 'searchMessages';

export class MessagingMethods implements Pick<CoreMethods, MessagingMethodName> {
  constructor(
    private readonly sessions: SessionSlot,
    private readonly events: CoreEmitter,
  ) {}

  listConversations = async (args: ParsedArgs<'listConversations'>): Promise<Page<ConversationView>> =>
    this.sessions.account().cache.conversations.list({ limit: args.limit ?? 50, ...(args.cursor ? { cursor: args.cursor } : {}) });

  getConversation = async (args: ParsedArgs<'getConversation'>): Promise<ConversationView | null> =>
    this.sessions.account().cache.conversations.get(args.key) ?? null;

  loadMessages = async (args: ParsedArgs<'loadMessages'>): Promise<MessagePage> =>
    this.sessions.account().cache.messages.page(args.key, { limit: args.limit ?? 50, ...(args.anchor ? { anchor: args.anchor } : {}) });

  /** The message reaches the UI once, through `messagesChanged`; the call answers with its id. */
  sendMessage = async (args: ParsedArgs<'sendMessage'>): Promise<{ id: string }> => {
    const message = this.sessions.account().outbox.send({
      key: args.key,
      text: args.text,
      ...(args.mentions ? { mentions: args.mentions } : {}),
      ...(args.replyToServerId !== undefined ? { replyToServerId: args.replyToServerId } : {}),
    });
    return { id: message.id };
  };

  /** The new state reaches the UI through `messagesChanged`. */
  resendMessage = async (args: ParsedArgs<'resendMessage'>): Promise<void> => {
    this.sessions.account().outbox.resend(args.messageId);
  };

  deleteMessage = async (args: ParsedArgs<'deleteMessage'>): Promise<void> => {
    const { cache, outbox } = this.sessions.account();
    outbox.discard(args.messageId);
    const removed = cache.messages.delete(args.messageId);
    if (!removed) throw new CoreError('NOT_FOUND', 'message not found');
    this.events.emit('messagesRemoved', { key: removed.key, ids: [args.messageId] });
    this.conversationChanged(removed.key, true);
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
    const { cache, reads } = this.sessions.account();
    const { readSeq, changed, conversation } = cache.conversations.markRead(args.key);
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
    const conversation = this.sessions.account().cache.conversations.setPinned(args.key, args.pinned);
    this.events.emit('conversationsChanged', { conversations: [conversation] });
  };

  setMuted = async (args: ParsedArgs<'setMuted'>): Promise<void> => {
    const { cache } = this.sessions.account();
    const conversation = cache.conversations.setMuted(args.key, args.muted);
    this.events.emit('conversationsChanged', { conversations: [conversation] });
    this.events.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
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
