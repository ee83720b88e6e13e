import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { useNavigationStore } from '../../renderer/stores/navigation';
import { useLinksStore } from '../../renderer/stores/links';
import { useSessionStore } from '../../renderer/stores/session';
import { conv } from './fake-api';
import { setupEnv, type TestEnv } from './setup';

describe('conversations store', () => {
  let env: TestEnv;
  beforeEach(() => {
    env = setupEnv({
      listConversations: ({ cursor }) =>
        cursor
          ? { items: [conv({ key: 'u:3', updatedAt: 50 })] }
          : { items: [conv({ key: 'u:2', updatedAt: 100, unread: 2 }), conv({ key: 'g:7', updatedAt: 10, pinned: true })], nextCursor: 'p2' },
    });
  });
  afterEach(() => vi.useRealTimers());

  it('loads every page and orders pinned first, then by activity', async () => {
    const store = useConversationsStore();
    await store.load();
    expect(store.sorted.map((c) => c.key)).toEqual(['g:7', 'u:2', 'u:3']);
    expect(env.fake.calls.listConversations).toHaveBeenCalledTimes(2);
  });

  it('moves a conversation to the top on a live update and counts unread', async () => {
    const store = useConversationsStore();
    store.bind();
    await store.load();
    env.fake.emit('conversationsChanged', { conversations: [conv({ key: 'u:3', updatedAt: 200, unread: 1 })] });
    env.fake.emit('unreadTotal', { total: 3 });
    expect(store.sorted.map((c) => c.key)).toEqual(['g:7', 'u:3', 'u:2']);
    expect(store.byKey.get('u:3')!.unread).toBe(1);
    expect(store.unreadTotal).toBe(3);
  });

  it('has the badge total right after a load, with no event (muted excluded, marked unread counts one)', async () => {
    env.fake.calls.listConversations.mockImplementation(() => ({
      items: [
        conv({ key: 'u:2', unread: 2 }),
        conv({ key: 'u:3', unread: 5, muted: true }),
        conv({ key: 'u:4', markedUnread: true }),
        conv({ key: 'u:5', markedUnread: true, muted: true }),
      ],
    }));
    const store = useConversationsStore();
    store.bind();
    await store.load();
    expect(store.unreadTotal).toBe(3);
    await store.setMuted('u:2', true, 3_600_000);
    expect(env.fake.calls.setMuted).toHaveBeenCalledWith({ key: 'u:2', muted: true, durationMs: 3_600_000 });
    expect(store.unreadTotal).toBe(1);
    await store.setMuted('u:2', false);
    expect(env.fake.calls.setMuted).toHaveBeenLastCalledWith({ key: 'u:2', muted: false });
    await store.markRead('u:4');
    expect(env.fake.calls.markRead).toHaveBeenCalledWith({ key: 'u:4' });
    expect(store.unreadTotal).toBe(2);
  });

  it('mark unread closes the open conversation; delete removes it; the last open one is remembered and restored', async () => {
    const store = useConversationsStore();
    store.bind();
    await store.load();
    await store.open('u:3');
    expect(env.fake.calls.setLastConversation).toHaveBeenLastCalledWith({ key: 'u:3' });
    await store.markUnread('u:3');
    expect(env.fake.calls.markUnread).toHaveBeenCalledWith({ key: 'u:3' });
    expect(store.activeKey).toBeNull();
    expect(store.byKey.get('u:3')!.markedUnread).toBe(true);
    expect(env.fake.calls.setLastConversation).toHaveBeenLastCalledWith({ key: null });
    // Not twice, and not when something is unread already.
    await store.markUnread('u:3');
    await store.markUnread('u:2');
    expect(env.fake.calls.markUnread).toHaveBeenCalledTimes(1);
    await store.deleteConversation('u:3');
    expect(env.fake.calls.deleteConversation).toHaveBeenCalledWith({ key: 'u:3' });
    expect(store.byKey.has('u:3')).toBe(false);

    env.fake.calls.getLastConversation.mockImplementation(async () => 'u:2');
    await store.restoreLast();
    expect(store.activeKey).toBe('u:2');
  });

  it('marks a conversation read when it is opened, and keeps it read while open', async () => {
    const store = useConversationsStore();
    store.bind();
    await store.load();
    store.setVisible(true);
    await store.open('u:2');
    expect(store.unreadAtOpen).toBe(2);
    expect(store.byKey.get('u:2')!.unread).toBe(0);
    expect(env.fake.calls.markRead).toHaveBeenCalledWith({ key: 'u:2' });
    env.fake.emit('conversationsChanged', { conversations: [conv({ key: 'u:2', updatedAt: 300, unread: 1 })] });
    expect(env.fake.calls.markRead).toHaveBeenCalledTimes(2);
    // Behind another pane, new messages stay unread until the conversation is shown again.
    store.setVisible(false);
    env.fake.emit('conversationsChanged', { conversations: [conv({ key: 'u:2', updatedAt: 400, unread: 1 })] });
    expect(store.byKey.get('u:2')!.unread).toBe(1);
    expect(env.fake.calls.markRead).toHaveBeenCalledTimes(2);
    store.setVisible(true);
    expect(store.byKey.get('u:2')!.unread).toBe(0);
    expect(env.fake.calls.markRead).toHaveBeenCalledTimes(3);
  });

  it('keeps drafts per conversation and saves them after a pause', async () => {
    vi.useFakeTimers();
    const store = useConversationsStore();
    await store.load();
    store.setDraft('u:2', 'hel');
    store.setDraft('u:2', 'hello');
    store.setDraft('u:3', 'other');
    expect(store.byKey.get('u:2')!.draft).toBe('hello');
    expect(env.fake.calls.setDraft).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(env.fake.calls.setDraft).toHaveBeenCalledTimes(2);
    expect(env.fake.calls.setDraft).toHaveBeenCalledWith({ key: 'u:2', text: 'hello' });
    expect(env.fake.calls.setDraft).toHaveBeenCalledWith({ key: 'u:3', text: 'other' });
  });

  it('flushes a pending draft at once when switching conversations', async () => {
    vi.useFakeTimers();
    const store = useConversationsStore();
    await store.load();
    store.setDraft('u:2', 'unsent');
    store.flushDrafts();
    expect(env.fake.calls.setDraft).toHaveBeenCalledWith({ key: 'u:2', text: 'unsent' });
    vi.advanceTimersByTime(1000);
    expect(env.fake.calls.setDraft).toHaveBeenCalledTimes(1);
  });

  it('opens the conversation the shell asks for (a clicked notification)', async () => {
    const store = useConversationsStore();
    store.bind();
    useLinksStore().bind(); // the shell's "open" requests go through the links store
    useSessionStore().setSession({ account: { userId: 1 }, profile: { userId: 1 } } as never);
    await store.load();
    const nav = useNavigationStore();
    nav.show('settings');
    env.fake.emit('openConversation', { key: 'u:3' });
    expect(store.activeKey).toBe('u:3');
    expect(nav.pane).toBe('chats');
  });

  it('steps between conversations in list order, wrapping around', async () => {
    const store = useConversationsStore();
    await store.load();
    expect(store.neighbour(1)).toBe('g:7');
    store.activeKey = 'u:3';
    expect(store.neighbour(1)).toBe('g:7');
    expect(store.neighbour(-1)).toBe('u:2');
  });
});
