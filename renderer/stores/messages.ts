import { defineStore } from 'pinia';
import { computed, shallowReactive, ref } from 'vue';
import type { ConversationKey, MessagePage, MessageView } from '../../shared/ipc';
import { useApi } from '../api';
import { errorCode, errorKey } from '../i18n/errors';
import type { OutgoingFiles } from './attachments';
import { useConversationsStore } from './conversations';
import { mergeMessages, mergePage } from './message-merge';

/** The loaded slice of one conversation's history. Replaced (never mutated) on change. */
export interface MessageWindow {
  messages: MessageView[];
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
  loadingBefore: boolean;
  loadingAfter: boolean;
  /** A message to bring into view and highlight (search result, first unread). */
  focusId: string | null;
  /** Bumped whenever focusId is set again, so the list scrolls even to the same message. */
  focusSeq: number;
}

const PAGE = 50;
const TYPING_TTL_MS = 6000;
const TYPING_RESEND_MS = 3000;

function emptyWindow(): MessageWindow {
  return { messages: [], hasMoreBefore: true, hasMoreAfter: false, loadingBefore: false, loadingAfter: false, focusId: null, focusSeq: 0 };
}

/**
 * One message the composer took (its box already cleared): handed to the core
 * in its turn, after every message taken before it in the same conversation.
 */
export interface OutgoingMessage {
  key: ConversationKey;
  /** The text as typed (sent trimmed). */
  text: string;
  mentions: number[];
  /** The names the mentions were picked as (the composer takes them back with the text if it is not sent). */
  picked: ReadonlyMap<number, string>;
  replyTo: MessageView | null;
  files: OutgoingFiles | null;
}

/** Actions the server decides, refused with their own sentence while offline. */
type ServerAction = 'edit' | 'react' | 'recall';

export const useMessagesStore = defineStore('messages', () => {
  const windows = shallowReactive(new Map<ConversationKey, MessageWindow>());
  /** Who is typing where; each entry expires through its timer in `typingTimers`. */
  const typing = shallowReactive(new Map<ConversationKey, ReadonlySet<number>>());
  const lastError = ref<string | null>(null);
  /**
   * Edits, reactions and recalls are refused offline, not queued: the server
   * decides them (edit and recall windows, reaction limits), and a change
   * shown as done that the server later refuses would have to be taken back
   * after the user moved on. Each gets a sentence that says so and what to do;
   * an edit keeps its text in the composer, saved with Enter once online.
   */
  const lastAction = ref<ServerAction | null>(null);
  const lastErrorKey = computed(() => {
    if (!lastError.value) return null;
    if (lastError.value === 'OFFLINE' && lastAction.value) return `messages.offline.${lastAction.value}`;
    return errorKey(lastError.value);
  });
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const typingSentAt = new Map<ConversationKey, number>();

  function get(key: ConversationKey): MessageWindow {
    return windows.get(key) ?? emptyWindow();
  }

  function patch(key: ConversationKey, change: Partial<MessageWindow>): MessageWindow {
    const next = { ...get(key), ...change };
    windows.set(key, next);
    return next;
  }

  function applyPage(key: ConversationKey, page: MessagePage, mode: 'replace' | 'before' | 'after'): void {
    const w = get(key);
    if (mode === 'replace') {
      patch(key, { messages: page.messages.slice(), hasMoreBefore: page.hasMoreBefore, hasMoreAfter: page.hasMoreAfter });
    } else if (mode === 'before') {
      patch(key, { messages: mergePage(w.messages, page.messages), hasMoreBefore: page.hasMoreBefore });
    } else {
      patch(key, { messages: mergePage(w.messages, page.messages), hasMoreAfter: page.hasMoreAfter });
    }
  }

  /** The latest page; kept as is if already loaded at the latest (live pushes keep it current). */
  async function loadLatest(key: ConversationKey, force = false): Promise<void> {
    const w = windows.get(key);
    if (w && !w.hasMoreAfter && w.messages.length > 0 && !force) return;
    const page = await useApi().loadMessages({ key, limit: PAGE });
    applyPage(key, page, 'replace');
  }

  async function loadOlder(key: ConversationKey): Promise<number> {
    const w = get(key);
    const first = w.messages[0];
    if (w.loadingBefore || !w.hasMoreBefore) return 0;
    if (!first) { await loadLatest(key, true); return get(key).messages.length; }
    patch(key, { loadingBefore: true });
    try {
      const page = await useApi().loadMessages({ key, anchor: { messageId: first.id, direction: 'before' }, limit: PAGE });
      applyPage(key, page, 'before');
      return page.messages.length;
    } finally {
      patch(key, { loadingBefore: false });
    }
  }

  async function loadNewer(key: ConversationKey): Promise<number> {
    const w = get(key);
    const last = w.messages[w.messages.length - 1];
    if (w.loadingAfter || !w.hasMoreAfter || !last) return 0;
    patch(key, { loadingAfter: true });
    try {
      const page = await useApi().loadMessages({ key, anchor: { messageId: last.id, direction: 'after' }, limit: PAGE });
      applyPage(key, page, 'after');
      return page.messages.length;
    } finally {
      patch(key, { loadingAfter: false });
    }
  }

  /** Loads the history around one message (search result) and asks the view to show it. */
  async function loadAround(key: ConversationKey, messageId: string): Promise<void> {
    const w = windows.get(key);
    if (!w || !w.messages.some((m) => m.id === messageId)) {
      const page = await useApi().loadMessages({ key, anchor: { messageId, direction: 'around' }, limit: PAGE });
      applyPage(key, page, 'replace');
    }
    focus(key, messageId);
  }

  function focus(key: ConversationKey, messageId: string | null): void {
    patch(key, { focusId: messageId, focusSeq: get(key).focusSeq + 1 });
  }

  /** The list has shown the focused message: coming back to the conversation later opens at the latest again. */
  function consumeFocus(key: ConversationKey): void {
    if (windows.get(key)?.focusId) patch(key, { focusId: null });
  }

  /** Applies pushed messages (new, acked, status, recall) to every loaded window. */
  function apply(messages: readonly MessageView[]): void {
    const byKey = new Map<ConversationKey, MessageView[]>();
    for (const m of messages) {
      if (!windows.has(m.conversationKey)) continue;
      const list = byKey.get(m.conversationKey) ?? [];
      list.push(m);
      byKey.set(m.conversationKey, list);
    }
    for (const [key, list] of byKey) {
      const w = get(key);
      patch(key, { messages: mergeMessages(w.messages, list, { atLatest: !w.hasMoreAfter, hasMoreBefore: w.hasMoreBefore }) });
      for (const m of list) if (!m.outgoing) clearTyping(key, m.senderId);
    }
  }

  function removeIds(key: ConversationKey, ids: readonly string[]): void {
    const w = windows.get(key);
    if (!w) return;
    const drop = new Set(ids);
    patch(key, { messages: w.messages.filter((m) => !drop.has(m.id)) });
  }

  /**
   * Sends a message. The core stores it and announces it (and each later
   * state) through `messagesChanged`, which is how it appears here: the call
   * only answers with its id. Resolves to that id, or null on failure.
   */
  async function send(
    key: ConversationKey,
    text: string,
    opts: { mentions?: number[]; replyToServerId?: number; attachments?: string[] } = {},
  ): Promise<{ id: string } | null> {
    lastError.value = null;
    // Sending from deep history jumps back to the present first.
    if (get(key).hasMoreAfter) await loadLatest(key, true);
    stopTyping(key);
    // The window must exist before the call: the message's event can arrive before the call's answer.
    if (!windows.has(key)) windows.set(key, { ...emptyWindow(), hasMoreBefore: false });
    try {
      const args: { key: ConversationKey; text: string; mentions?: number[]; replyToServerId?: number; attachments?: string[] } = { key, text };
      if (opts.mentions && opts.mentions.length > 0) args.mentions = opts.mentions;
      if (opts.replyToServerId !== undefined) args.replyToServerId = opts.replyToServerId;
      if (opts.attachments && opts.attachments.length > 0) args.attachments = opts.attachments;
      return await useApi().sendMessage(args);
    } catch (err) {
      lastError.value = errorCode(err);
      return null;
    }
  }

  /** Per conversation: messages taken from the composer and not yet in the core, in order (the first is being handed over). */
  const lanes = new Map<ConversationKey, OutgoingMessage[]>();
  /** How many messages each conversation's queue holds (for the composer to say so while files hold it up). */
  const queued = shallowReactive(new Map<ConversationKey, number>());
  /**
   * Per conversation: messages the core refused (and those queued behind
   * them), in order, for the composer to take back. Their text is already
   * back in the conversation's draft.
   */
  const returned = shallowReactive(new Map<ConversationKey, readonly OutgoingMessage[]>());

  /**
   * Sends a message the composer took. Each Enter queues exactly what the box
   * held then; the queue hands them to the core one at a time, so they reach
   * its outbox (and the server) in the order typed, each once. A refused one
   * stops its queue: it and those behind it go back to the composer (text,
   * files, reply, mentions) rather than the later ones going first.
   */
  function queue(m: OutgoingMessage): void {
    const lane = lanes.get(m.key);
    if (lane) {
      lane.push(m);
      queued.set(m.key, lane.length);
      return;
    }
    const fresh = [m];
    lanes.set(m.key, fresh);
    queued.set(m.key, 1);
    void drain(m.key, fresh);
  }

  async function drain(key: ConversationKey, lane: OutgoingMessage[]): Promise<void> {
    for (let m = lane[0]; m; m = lane[0]) {
      if (await handOver(m)) {
        m.files?.settle(true);
        lane.shift();
        queued.set(key, lane.length);
        continue;
      }
      const refused = lane.splice(0);
      for (const r of refused) r.files?.settle(false);
      giveBack(key, refused);
    }
    lanes.delete(key);
    queued.delete(key);
  }

  async function handOver(m: OutgoingMessage): Promise<boolean> {
    let attachments: string[] | undefined;
    try {
      if (m.files) attachments = await m.files.staged();
    } catch (err) {
      lastError.value = errorCode(err);
      return false;
    }
    const opts = { mentions: m.mentions, ...(m.replyTo?.serverId !== undefined ? { replyToServerId: m.replyTo.serverId } : {}), ...(attachments ? { attachments } : {}) };
    return (await send(m.key, m.text.trim(), opts)) !== null;
  }

  /** Puts refused messages back: their text ahead of whatever was typed since, in the draft at once (it survives a restart). */
  function giveBack(key: ConversationKey, refused: OutgoingMessage[]): void {
    const conversations = useConversationsStore();
    const texts = refused.map((r) => r.text).filter((t) => t.trim() !== '');
    const draft = conversations.byKey.get(key)?.draft ?? '';
    conversations.setDraft(key, [...texts, ...(draft.trim() ? [draft] : [])].join('\n'), 0);
    returned.set(key, [...(returned.get(key) ?? []), ...refused]);
  }

  /** The composer took the returned messages of a conversation back. */
  function takeReturned(key: ConversationKey): readonly OutgoingMessage[] {
    const list = returned.get(key) ?? [];
    returned.delete(key);
    return list;
  }

  /** Queues a failed message again; its new state arrives through `messagesChanged`. */
  async function resend(messageId: string): Promise<void> {
    await attempt(() => useApi().resendMessage({ messageId }));
  }

  /** Recall for everyone; the recalled message arrives through `messagesChanged`. */
  async function recall(messageId: string): Promise<void> {
    await attempt(() => useApi().recallMessage({ messageId }), 'recall');
  }

  /** Delete for me (this device now, my other devices through the server). */
  async function remove(key: ConversationKey, messageId: string): Promise<void> {
    await useApi().deleteMessage({ messageId });
    removeIds(key, [messageId]);
  }

  /** Runs a server action; its failure is shown under the composer. True if it succeeded. */
  async function attempt(action: () => Promise<unknown>, kind: ServerAction | null = null): Promise<boolean> {
    lastError.value = null;
    lastAction.value = kind;
    try {
      await action();
      return true;
    } catch (err) {
      lastError.value = errorCode(err);
      return false;
    }
  }

  /** New text for my message; the edited message arrives through `messagesChanged`. */
  function edit(messageId: string, text: string, mentions: number[] = []): Promise<boolean> {
    return attempt(() => useApi().editMessage({ messageId, text, ...(mentions.length > 0 ? { mentions } : {}) }), 'edit');
  }

  /** Toggles one of my reactions (`on`: set it); the new counts arrive through `messagesChanged`. */
  function react(messageId: string, emoji: string, on: boolean): Promise<boolean> {
    return attempt(() => useApi().reactToMessage({ messageId, emoji, on }), 'react');
  }

  /** Sends copies of the messages (in conversation order) to each target. */
  function forward(messageIds: string[], to: ConversationKey[]): Promise<boolean> {
    return attempt(() => useApi().forwardMessages({ messageIds, to }));
  }

  // Typing: remote indicators expire on their own; ours is re-sent at most every 3 s.
  function setTyping(key: ConversationKey, userId: number, on: boolean): void {
    const timerKey = `${key}/${userId}`;
    const old = typingTimers.get(timerKey);
    if (old) clearTimeout(old);
    typingTimers.delete(timerKey);
    const users = new Set(typing.get(key));
    if (on) {
      users.add(userId);
      typingTimers.set(timerKey, setTimeout(() => setTyping(key, userId, false), TYPING_TTL_MS));
    } else {
      users.delete(userId);
    }
    if (users.size > 0) typing.set(key, users);
    else typing.delete(key);
  }

  function clearTyping(key: ConversationKey, userId: number): void {
    if (typing.get(key)?.has(userId)) setTyping(key, userId, false);
  }

  function typingUsers(key: ConversationKey): number[] {
    return Array.from(typing.get(key) ?? []);
  }

  function noteTyping(key: ConversationKey): void {
    const now = Date.now();
    const last = typingSentAt.get(key) ?? 0;
    if (now - last < TYPING_RESEND_MS) return;
    typingSentAt.set(key, now);
    void useApi().sendTyping({ key, typing: true }).catch(() => undefined);
  }

  function stopTyping(key: ConversationKey): void {
    if (!typingSentAt.has(key)) return;
    typingSentAt.delete(key);
    void useApi().sendTyping({ key, typing: false }).catch(() => undefined);
  }

  function bind(): () => void {
    const api = useApi();
    const offs = [
      api.onMessagesChanged(({ messages }) => apply(messages)),
      api.onMessagesRemoved(({ key, ids }) => removeIds(key, ids)),
      api.onTyping(({ key, userId, typing: on }) => setTyping(key, userId, on)),
    ];
    return () => {
      offs.forEach((off) => off());
      typingTimers.forEach((t) => clearTimeout(t));
      typingTimers.clear();
    };
  }

  function reset(): void {
    windows.clear();
    returned.clear();
    typing.clear();
  }

  return {
    windows, typing, lastError, lastErrorKey, get, loadLatest, loadOlder, loadNewer, loadAround, focus, consumeFocus, apply, removeIds,
    send, queue, queued, returned, takeReturned, resend, recall, remove, edit, react, forward, setTyping, typingUsers, noteTyping, stopTyping, bind, reset,
  };
});
