/**
 * The contract's message actions: edit, react, delete for me, forward.
 *
 * Edits and reactions need the server (its answer is the truth: the edit
 * window, the reaction limits), so they fail with OFFLINE rather than queue;
 * the change is applied to the cache at once on success, and arrives again
 * (idempotently) as a sync event, which is how the other side and this
 * account's other devices learn of it. Delete for me removes the message here
 * at once and tells the server when connected, so the account's other
 * devices drop it too. Forwarding sends new messages through the outbox.
 */
import type { MessageView } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import { Command } from '../../../shared/protocol';
import { CoreError } from '../errors';
import { emitApplied, type CoreEmitter } from '../events';
import { big, toWireRef } from '../wire';
import type { SessionSlot } from './session-slot';

type MessageActionName = 'editMessage' | 'reactToMessage' | 'deleteMessage' | 'forwardMessages';

export class MessageActionMethods implements Pick<CoreMethods, MessageActionName> {
  constructor(
    private readonly sessions: SessionSlot,
    private readonly events: CoreEmitter,
    private readonly now: () => number,
  ) {}

  /** A message the server knows (acked), or NOT_FOUND. */
  private acked(messageId: string): { serverId: number; view: MessageView } {
    const view = this.sessions.account().cache.messages.get(messageId);
    if (!view || view.recalled) throw new CoreError('NOT_FOUND', 'message not found');
    if (view.serverId === undefined) throw new CoreError('NOT_FOUND', 'the message has not reached the server yet');
    return { serverId: view.serverId, view };
  }

  editMessage = async (args: ParsedArgs<'editMessage'>): Promise<void> => {
    const { serverId, view } = this.acked(args.messageId);
    if (!view.outgoing) throw new CoreError('NOT_FOUND', 'only your own messages can be edited');
    const mentions = args.mentions ?? [];
    await this.sessions.link().request(Command.MESSAGE_EDIT, { msgId: big(serverId), text: args.text, mentions: mentions.map((userId) => ({ userId: big(userId) })) });
    const { cache } = this.sessions.account();
    // The server's event carries its own time; until it arrives, local time marks the message edited.
    const edited = cache.messages.applyEdit({
      conversation: toWireRef(view.conversationKey),
      msgId: serverId,
      convSeq: view.convSeq ?? 0,
      text: args.text,
      mentions: mentions.map((userId) => ({ userId })),
      editedAt: Math.max(this.now(), (view.editedAt ?? 0) + 1),
    });
    if (!edited) return;
    const conversation = cache.conversations.get(view.conversationKey);
    emitApplied(this.events, { messages: [edited], ...(conversation ? { conversations: [conversation] } : {}) });
  };

  /** Sets or clears one reaction; the new counts arrive as a sync event (pushed to this device too). */
  reactToMessage = async (args: ParsedArgs<'reactToMessage'>): Promise<void> => {
    const { serverId } = this.acked(args.messageId);
    await this.sessions.link().request(Command.MESSAGE_REACT, { msgId: big(serverId), emoji: args.emoji, on: args.on });
  };

  /** Delete for me (not recall): gone from this device now, and from the account's other devices when the server hears of it. */
  deleteMessage = async (args: ParsedArgs<'deleteMessage'>): Promise<void> => {
    const { cache, outbox, attachments } = this.sessions.account();
    const serverId = cache.messages.get(args.messageId)?.serverId;
    // An unsent message's files were never sent: its upload stops and their encrypted copies are unpinned.
    const unsent = cache.outbox.get(args.messageId) ? cache.messages.storedAttachments(args.messageId) : undefined;
    outbox.discard(args.messageId);
    const removed = cache.messages.delete(args.messageId);
    if (!removed) throw new CoreError('NOT_FOUND', 'message not found');
    if (unsent && unsent.list.length > 0) await attachments.forgetUnsent(args.messageId, unsent.list);
    this.events.emit('messagesRemoved', { key: removed.key, ids: [args.messageId] });
    const conversation = cache.conversations.get(removed.key);
    if (conversation) this.events.emit('conversationsChanged', { conversations: [conversation] });
    this.events.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
    const link = this.sessions.readyLink();
    // Offline: deleted on this device only (the other devices keep it).
    if (serverId !== undefined && link) link.request(Command.MESSAGE_HIDE, { msgId: big(serverId) }).catch(() => undefined);
  };

  /**
   * Each message, in the order given, becomes a new message in each target
   * conversation: its text, and its files as the same blobs (the keys travel
   * in the new message; nothing is uploaded again: the server already holds
   * them and lets whoever received a file forward it). Recalled ones are
   * skipped.
   */
  forwardMessages = async (args: ParsedArgs<'forwardMessages'>): Promise<{ ids: string[] }> => {
    const { cache, outbox } = this.sessions.account();
    const sources = args.messageIds.map((id) => cache.messages.get(id));
    if (sources.some((m) => m === undefined)) throw new CoreError('NOT_FOUND', 'message not found');
    const contents = sources.flatMap((m) => {
      if (!m || m.recalled) return [];
      const files = m.attachments ? (cache.messages.storedAttachments(m.id)?.list ?? []) : [];
      return m.text.length > 0 || files.length > 0 ? [{ text: m.text, files }] : [];
    });
    if (contents.length === 0) throw new CoreError('INVALID_ARGUMENT', 'nothing to forward');
    const ids: string[] = [];
    for (const key of args.to) {
      for (const { text, files } of contents) ids.push(outbox.send({ key, text, ...(files.length > 0 ? { attachments: files } : {}) }).id);
    }
    return { ids };
  };
}
