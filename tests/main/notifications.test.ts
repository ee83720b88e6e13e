import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationKey, ConversationView, MessageView, NotificationPrivacy } from '../../shared/ipc';
import { NotificationCenter, type NotificationRequest } from '../../electron/main/notifications';
import { notificationText } from '../../electron/main/notification-text';
import { resolveLang, stringsFor } from '../../electron/main/strings';
import type { Clock } from '../../electron/main/clock';

const fakeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

let serial = 0;
function msg(key: ConversationKey, senderId: number, text: string, extra: Partial<MessageView> = {}): MessageView {
  serial += 1;
  return { id: `m${serial}`, conversationKey: key, senderId, outgoing: false, text, mentions: [], sentAt: serial, status: 'sent', recalled: false, ...extra };
}

type Conv = Pick<ConversationView, 'key' | 'type' | 'title' | 'unread' | 'muted'>;

function setup(opts: { privacy?: NotificationPrivacy; inFront?: boolean; conversations?: Conv[]; lang?: 'en' | 'zh-CN'; supported?: boolean } = {}) {
  const shown: Array<NotificationRequest & { closed: boolean }> = [];
  const opened: ConversationKey[] = [];
  const state = { inFront: opts.inFront ?? false, attention: 0, fronted: 0, privacy: opts.privacy ?? 'full' };
  const convs = new Map<ConversationKey, Conv>(
    (opts.conversations ?? [
      { key: 'u:2', type: 'direct', title: 'Bob', unread: 1, muted: false },
      { key: 'g:7', type: 'group', title: 'Team', unread: 1, muted: false },
      { key: 'g:8', type: 'group', title: 'Noisy', unread: 4, muted: true },
    ]).map((c) => [c.key, c]),
  );
  const center = new NotificationCenter({
    clock: fakeClock,
    appName: 'Tern',
    supported: () => opts.supported ?? true,
    show: (request) => {
      const entry = { ...request, closed: false };
      shown.push(entry);
      return { close: () => (entry.closed = true) };
    },
    window: {
      isInFront: () => state.inFront,
      bringToFront: () => state.fronted++,
      requestAttention: () => state.attention++,
    },
    settings: () => ({ privacy: state.privacy, sound: true, strings: stringsFor(opts.lang ?? 'en') }),
    selfUserId: () => 1,
    conversation: async (key) => convs.get(key) ?? null,
    senderNames: async (ids) => new Map(ids.map((id) => [id, { 2: 'Bob', 3: 'Carol', 4: '小明' }[id] ?? `user${id}`])),
    openConversation: (key) => opened.push(key),
  });
  return { center, shown, opened, state, convs };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

async function settle() {
  await vi.advanceTimersByTimeAsync(1000);
}

describe('NotificationCenter', () => {
  it('notifies one incoming message with its text when the window is not in front', async () => {
    const { center, shown, state } = setup();
    center.onMessagesChanged([msg('u:2', 2, 'hello there')]);
    expect(shown).toHaveLength(0); // coalescing window
    await settle();
    expect(shown.map(({ title, body, key }) => ({ title, body, key }))).toEqual([{ title: 'Bob', body: 'hello there', key: 'u:2' }]);
    expect(state.attention).toBe(1);
  });

  it('coalesces several messages of one conversation into one notification, and separates conversations', async () => {
    const { center, shown, convs } = setup();
    convs.set('u:2', { ...convs.get('u:2')!, unread: 3 });
    center.onMessagesChanged([msg('u:2', 2, 'one'), msg('g:7', 3, 'group hi')]);
    center.onMessagesChanged([msg('u:2', 2, 'two'), msg('u:2', 2, 'three')]);
    await settle();
    expect(shown).toHaveLength(2);
    const bob = shown.find((s) => s.key === 'u:2')!;
    expect(bob.body).toBe('one\ntwo\nthree');
    const team = shown.find((s) => s.key === 'g:7')!;
    expect(team).toMatchObject({ title: 'Team', body: 'Carol: group hi' });
  });

  it('a later batch for the same conversation replaces the earlier notification', async () => {
    const { center, shown } = setup();
    center.onMessagesChanged([msg('u:2', 2, 'first')]);
    await settle();
    center.onMessagesChanged([msg('u:2', 2, 'second')]);
    await settle();
    expect(shown.map((s) => [s.body, s.closed])).toEqual([
      ['first', true],
      ['second', false],
    ]);
  });

  it('stays quiet for the window in front, muted conversations, own devices, outgoing, recalled and repeated messages', async () => {
    const { center, shown, state } = setup();
    state.inFront = true;
    center.onMessagesChanged([msg('u:2', 2, 'seen live')]);
    await settle();
    expect(shown).toHaveLength(0);
    expect(state.attention).toBe(0);

    state.inFront = false;
    const old = msg('u:2', 2, 'status update of an old message');
    center.onMessagesChanged([
      msg('g:8', 3, 'muted'),
      msg('u:2', 1, 'from my phone'),
      msg('u:2', 1, 'outgoing', { outgoing: true }),
      msg('u:2', 2, 'recalled', { recalled: true }),
    ]);
    await settle();
    expect(shown).toHaveLength(0);
    center.onMessagesChanged([old]);
    await settle();
    expect(shown).toHaveLength(1);
    center.onMessagesChanged([{ ...old, status: 'read' }]);
    await settle();
    expect(shown).toHaveLength(1);
  });

  it('skips conversations already read on another device', async () => {
    const { center, shown, convs } = setup();
    convs.set('u:2', { ...convs.get('u:2')!, unread: 0 });
    center.onMessagesChanged([msg('u:2', 2, 'read on phone')]);
    await settle();
    expect(shown).toHaveLength(0);
  });

  it('privacy off shows nothing and does not flash', async () => {
    const { center, shown, state } = setup({ privacy: 'off' });
    center.onMessagesChanged([msg('u:2', 2, 'x')]);
    await settle();
    expect(shown).toHaveLength(0);
    expect(state.attention).toBe(0);
  });

  it('flashes even where the OS has no notifications', async () => {
    const { center, shown, state } = setup({ supported: false });
    center.onMessagesChanged([msg('u:2', 2, 'x')]);
    await settle();
    expect(shown).toHaveLength(0);
    expect(state.attention).toBe(1);
  });

  it('a click shows the window and opens the conversation', async () => {
    const { center, shown, opened, state } = setup();
    center.onMessagesChanged([msg('g:7', 2, 'click me')]);
    await settle();
    shown[0]!.onClick();
    expect(state.fronted).toBe(1);
    expect(opened).toEqual(['g:7']);
    expect(shown[0]!.closed).toBe(true);
  });

  it('closes a notification when its conversation is read anywhere', async () => {
    const { center, shown } = setup();
    center.onMessagesChanged([msg('u:2', 2, 'x')]);
    await settle();
    center.onConversationsChanged([{ key: 'u:2', unread: 0 }]);
    expect(shown[0]!.closed).toBe(true);
  });

  it('dispose cancels a pending batch', async () => {
    const { center, shown } = setup();
    center.onMessagesChanged([msg('u:2', 2, 'x')]);
    center.dispose();
    await settle();
    expect(shown).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('notification text at each privacy level', () => {
  const en = stringsFor('en');
  const zh = stringsFor('zh-CN');
  const direct = { type: 'direct' as const, title: 'Bob', unread: 1 };
  const group = { type: 'group' as const, title: 'Team', unread: 2 };
  const names = (id: number) => ({ 2: 'Bob', 3: 'Carol' })[id] ?? '?';
  const one = [{ senderId: 2, text: 'secret plans' }];
  const two = [
    { senderId: 2, text: 'first' },
    { senderId: 3, text: 'second' },
  ];

  it.each([
    ['off', direct, one, null],
    ['count', direct, one, { title: 'Tern', body: 'New message' }],
    ['count', group, two, { title: 'Tern', body: '2 new messages' }],
    ['sender', direct, one, { title: 'Bob', body: 'New message' }],
    ['sender', { ...group, unread: 1 }, [one[0]!], { title: 'Team', body: 'New message from Bob' }],
    ['sender', group, two, { title: 'Team', body: '2 new messages' }],
    ['full', direct, one, { title: 'Bob', body: 'secret plans' }],
    ['full', group, two, { title: 'Team', body: 'Bob: first\nCarol: second' }],
  ] as const)('%s %#', (privacy, conversation, messages, expected) => {
    expect(notificationText(privacy, en, 'Tern', { conversation, messages: [...messages], senderName: names })).toEqual(expected);
  });

  it('never leaks the text below full, nor the sender at count', () => {
    for (const privacy of ['count', 'sender'] as const) {
      const t = notificationText(privacy, en, 'Tern', { conversation: group, messages: two, senderName: names })!;
      expect(`${t.title} ${t.body}`).not.toMatch(/first|second/);
      if (privacy === 'count') expect(`${t.title} ${t.body}`).not.toMatch(/Bob|Carol|Team/);
    }
  });

  it('counts unread from before the batch, clips long text and shows the last three lines', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ senderId: 2, text: `line ${i} ${'x'.repeat(i === 4 ? 400 : 0)}` }));
    const t = notificationText('full', en, 'Tern', { conversation: { ...direct, unread: 9 }, messages: many, senderName: names })!;
    const lines = t.body.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('line 2');
    expect(lines[2]!.length).toBeLessThanOrEqual(160);
    expect(lines[2]!.endsWith('…')).toBe(true);
    expect(lines[3]).toBe('and 6 more');
  });

  it('words a group service message after its actor, in both languages', () => {
    const added = [{ senderId: 2, text: '', groupAction: { kind: 'membersAdded' as const, userIds: [1], name: '' } }];
    expect(notificationText('full', en, 'Tern', { conversation: { ...group, unread: 1 }, messages: added, senderName: names })!.body).toBe('Bob: added members');
    expect(notificationText('full', zh, 'Tern', { conversation: { ...group, unread: 1 }, messages: added, senderName: names })!.body).toBe('Bob：邀请了新成员');
  });

  it('says what files a message carries: [Photo] with its caption, [File] with its name; nothing of them below full', () => {
    const file = (kind: 'image' | 'file', name: string, index = 0) => ({ index, kind, name, mime: '', size: 1, hasThumbnail: false, downloaded: false });
    const messages = [
      { senderId: 2, text: 'sunset', attachments: [file('image', 'a.png')] },
      { senderId: 2, text: '', attachments: [file('image', 'a.png'), file('image', 'b.png', 1)] },
      { senderId: 3, text: '', attachments: [file('image', 'c.png'), file('file', '季度报告.pdf', 1)] },
    ];
    const conversation = { ...group, unread: 3 };
    expect(notificationText('full', en, 'Tern', { conversation, messages, senderName: names })!.body).toBe(
      'Bob: [Photo] sunset\nBob: [2 photos]\nCarol: [2 files] 季度报告.pdf',
    );
    expect(notificationText('full', zh, 'Tern', { conversation: { ...direct, unread: 1 }, messages: [{ senderId: 2, text: '', attachments: [file('file', 'x.zip')] }], senderName: names })!.body).toBe('[文件] x.zip');
    expect(notificationText('sender', en, 'Tern', { conversation, messages, senderName: names })!.body).not.toMatch(/Photo|File|pdf|sunset/);
  });

  it('speaks Chinese', () => {
    expect(notificationText('count', zh, 'Tern', { conversation: group, messages: two, senderName: names })).toEqual({ title: 'Tern', body: '2 条新消息' });
    expect(notificationText('full', zh, 'Tern', { conversation: { ...group, unread: 1 }, messages: [{ senderId: 3, text: '你好' }], senderName: names })!.body).toBe('Carol：你好');
    expect(resolveLang('system', 'zh-TW')).toBe('zh-CN');
    expect(resolveLang('system', 'de-DE')).toBe('en');
    expect(resolveLang('en', 'zh-CN')).toBe('en');
  });
});
