import { beforeEach, describe, expect, it } from 'vitest';
import type { ConversationKey, MessagePage } from '../../shared/ipc';
import { useMessagesStore } from '../../renderer/stores/messages';
import { msg } from './fake-api';
import { setupEnv, type TestEnv } from './setup';

function page(from: number, to: number, more: Partial<MessagePage> = {}): MessagePage {
  const messages = [];
  for (let s = from; s <= to; s++) messages.push(msg({ convSeq: s }));
  return { messages, hasMoreBefore: from > 1, hasMoreAfter: false, ...more };
}

describe('messages store', () => {
  let env: TestEnv;
  beforeEach(() => {
    env = setupEnv({
      loadMessages: ({ anchor }) => {
        if (!anchor) return page(51, 100);
        if (anchor.direction === 'before') return page(1, 50);
        return page(20, 30, { hasMoreAfter: true });
      },
      // As the core does: the message arrives through the event, the call answers with its id.
      sendMessage: ({ key, text }) => {
        const m = msg({ id: 'out-1', conversationKey: key as ConversationKey, text, outgoing: true, status: 'pending', senderId: 1, sentAt: Date.now() });
        env.fake.emit('messagesChanged', { messages: [m] });
        return { id: m.id };
      },
      resendMessage: ({ messageId }) => {
        env.fake.emit('messagesChanged', { messages: [msg({ id: messageId, outgoing: true, status: 'pending', senderId: 1 })] });
      },
    });
  });

  it('merges history pages with live pushes exactly once, in order', async () => {
    const store = useMessagesStore();
    store.bind();
    await store.loadLatest('u:2');
    env.fake.emit('messagesChanged', { messages: [msg({ convSeq: 101 }), msg({ convSeq: 100 })] });
    await store.loadOlder('u:2');
    env.fake.emit('messagesChanged', { messages: [msg({ convSeq: 101 })] });
    const seqs = store.get('u:2').messages.map((m) => m.convSeq);
    expect(seqs).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(store.get('u:2').hasMoreBefore).toBe(false);
    expect(env.fake.calls.loadMessages).toHaveBeenLastCalledWith({ key: 'u:2', anchor: { messageId: 'm51', direction: 'before' }, limit: 50 });
  });

  it('ignores pushes for conversations that are not loaded', () => {
    const store = useMessagesStore();
    store.bind();
    env.fake.emit('messagesChanged', { messages: [msg({ convSeq: 1, conversationKey: 'u:9' })] });
    expect(store.windows.has('u:9')).toBe(false);
  });

  it('tracks an outgoing message from pending to sent, to failed, and resends it', async () => {
    const store = useMessagesStore();
    store.bind();
    await store.loadLatest('u:2');
    expect(await store.send('u:2', 'hello')).toEqual({ id: 'out-1' });
    expect(env.fake.calls.sendMessage).toHaveBeenCalledWith({ key: 'u:2', text: 'hello' });
    const last = () => store.get('u:2').messages.at(-1)!;
    expect(last()).toMatchObject({ id: 'out-1', status: 'pending', text: 'hello' });
    const sent = last();
    env.fake.emit('messagesChanged', { messages: [{ ...sent!, status: 'failed', error: { code: 'TIMEOUT', message: 't' } }] });
    expect(last().status).toBe('failed');
    await store.resend('out-1');
    expect(env.fake.calls.resendMessage).toHaveBeenCalledWith({ messageId: 'out-1' });
    expect(last().status).toBe('pending');
    env.fake.emit('messagesChanged', { messages: [{ ...sent!, status: 'read', convSeq: 101, serverId: 5 }] });
    expect(last().status).toBe('read');
    expect(store.get('u:2').messages.filter((m) => m.id === 'out-1')).toHaveLength(1);
  });

  it('shows a message sent to a conversation that was not loaded yet (its event comes before the answer)', async () => {
    const store = useMessagesStore();
    store.bind();
    await store.send('u:5', 'hi');
    expect(store.get('u:5').messages.map((m) => m.id)).toEqual(['out-1']);
  });

  it('jumps around a search hit and does not append live messages to that old window', async () => {
    const store = useMessagesStore();
    store.bind();
    await store.loadAround('u:2', 'm25');
    const w = store.get('u:2');
    expect(w.focusId).toBe('m25');
    expect(w.hasMoreAfter).toBe(true);
    env.fake.emit('messagesChanged', { messages: [msg({ convSeq: 900 })] });
    expect(store.get('u:2').messages.at(-1)!.convSeq).toBe(30);
  });

  it('reports a translated error code when sending fails', async () => {
    env = setupEnv({ sendMessage: () => Promise.reject(Object.assign(new Error('x'), { code: 'NOT_FRIENDS' })) });
    const store = useMessagesStore();
    expect(await store.send('u:2', 'hi')).toBeNull();
    expect(store.lastError).toBe('NOT_FRIENDS');
  });

  it('shows typing until it expires or a message arrives', async () => {
    const store = useMessagesStore();
    store.bind();
    await store.loadLatest('u:2');
    env.fake.emit('typing', { key: 'u:2', userId: 2, typing: true });
    expect(store.typingUsers('u:2')).toEqual([2]);
    env.fake.emit('messagesChanged', { messages: [msg({ convSeq: 101 })] });
    expect(store.typingUsers('u:2')).toEqual([]);
  });
});
