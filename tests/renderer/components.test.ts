import { describe, expect, it } from 'vitest';
import ConnectionBanner from '../../renderer/components/connection/ConnectionBanner.vue';
import ConversationListItem from '../../renderer/components/conversation/ConversationListItem.vue';
import MessageItem from '../../renderer/components/message/MessageItem.vue';
import AuthFirstRun from '../../renderer/components/auth/AuthFirstRun.vue';
import { initials } from '../../renderer/theme/avatar';
import CommonAvatar from '../../renderer/components/common/CommonAvatar.vue';
import { useConnectionStore } from '../../renderer/stores/connection';
import { useSettingsStore } from '../../renderer/stores/settings';
import { useSessionStore } from '../../renderer/stores/session';
import { MessengerError, type ErrorCode } from '../../shared/ipc';
import { conv, msg, testSettings } from './fake-api';
import { flush, mountWith, setupEnv } from './setup';

describe('ConnectionBanner', () => {
  it('shows offline with a retry button that reconnects, and hides when online', async () => {
    const env = setupEnv();
    const connection = useConnectionStore();
    connection.bind();
    const w = mountWith(env, ConnectionBanner);
    env.fake.emit('connectionState', { state: 'offline', lastError: { code: 'SERVER_UNREACHABLE', message: 'x' }, nextRetryAt: Date.now() + 5000 });
    await flush();
    expect(w.text()).toContain('Offline');
    expect(w.text()).toContain('Cannot reach the server');
    expect(w.text()).toMatch(/Reconnecting in [45] s/);
    await w.get('[data-test="reconnect"]').trigger('click');
    expect(env.fake.calls.reconnect).toHaveBeenCalledTimes(1);
    env.fake.emit('connectionState', { state: 'online' });
    await flush();
    expect(w.find('[data-test="connection-banner"]').exists()).toBe(false);
  });
});

describe('ConversationListItem', () => {
  it('shows unread, pinned, muted and draft marks and an accessible label', () => {
    const env = setupEnv();
    const c = conv({ key: 'u:2', title: 'Bob', unread: 3, pinned: true, muted: true, draft: 'half written', lastMessage: { id: 'x', senderId: 2, preview: 'hello', at: Date.now(), status: 'sent', recalled: false } });
    const w = mountWith(env, ConversationListItem, { props: { conversation: c, active: false } });
    expect(w.get('[data-test="unread"]').text()).toBe('3');
    expect(w.text()).toContain('Draft:');
    expect(w.text()).toContain('half written');
    expect(w.attributes('aria-label')).toBe('Bob, 3 unread, Pinned, Muted');
    const active = mountWith(env, ConversationListItem, { props: { conversation: { ...c, unread: 0 }, active: true } });
    expect(active.text()).toContain('hello');
    expect(active.find('[data-test="unread"]').exists()).toBe(false);
  });
});

describe('MessageItem', () => {
  const base = {
    senderName: 'Bob', senderAvatar: '', showSender: true, group: true, mentionsMe: false, highlighted: false,
    mentionNames: [{ userId: 3, name: 'Carol' }], nameOf: (id: number) => (id === 1 ? 'You' : id === 3 ? 'Carol' : 'Bob'), quoteAuthor: '', selecting: false, selected: false,
  };
  it('shows a failed outgoing message with resend', async () => {
    const env = setupEnv();
    const m = msg({ id: 'o1', outgoing: true, status: 'failed', text: 'lost?' });
    const w = mountWith(env, MessageItem, { props: { ...base, message: m } });
    expect(w.get('[data-test="message"]').attributes('data-status')).toBe('failed');
    expect(w.text()).toContain('Failed to send');
    await w.get('[data-test="resend"]').trigger('click');
    expect(w.emitted('resend')?.[0]).toEqual([m]);
  });

  it('shows sender names in groups, statuses, and recalled messages', () => {
    const env = setupEnv();
    const w = mountWith(env, MessageItem, { props: { ...base, message: msg({ convSeq: 1, text: 'hi all' }) } });
    expect(w.get('[data-test="message-sender"]').text()).toBe('Bob');
    const read = mountWith(env, MessageItem, { props: { ...base, message: msg({ convSeq: 2, outgoing: true, status: 'read' }) } });
    expect(read.get('[data-test="message-status"]').text()).toBe('Read');
    const recalled = mountWith(env, MessageItem, { props: { ...base, message: msg({ convSeq: 3, recalled: true }) } });
    expect(recalled.text()).toBe('This message was recalled');
  });

  it('read has a colour of its own; delivered does not', () => {
    const env = setupEnv();
    const read = mountWith(env, MessageItem, { props: { ...base, message: msg({ convSeq: 2, outgoing: true, status: 'read' }) } });
    const delivered = mountWith(env, MessageItem, { props: { ...base, message: msg({ convSeq: 3, outgoing: true, status: 'delivered' }) } });
    expect(read.get('[data-test="message-status"]').classes()).toContain('read');
    expect(delivered.get('[data-test="message-status"]').classes()).not.toContain('read');
  });

  it('renders formatting, links and mentions as elements (never HTML), and "edited"', async () => {
    const env = setupEnv();
    const m = msg({ convSeq: 4, text: '**hi** @Carol see https://example.com <b>x</b>', mentions: [3], editedAt: 1_700_000_500_000 });
    const w = mountWith(env, MessageItem, { props: { ...base, message: m } });
    expect(w.get('[data-test="message-text"] strong').text()).toBe('hi');
    const link = w.get('[data-test="message-link"]');
    expect(link.attributes()).toMatchObject({ href: 'https://example.com', target: '_blank', rel: 'noopener noreferrer' });
    expect(w.find('[data-test="message-text"] b').exists()).toBe(false);
    expect(w.get('[data-test="message-text"]').text()).toContain('<b>x</b>');
    await w.get('[data-test="message-mention"]').trigger('click');
    expect(w.emitted('mention')?.[0]).toEqual([3]);
    expect(w.get('[data-test="message-edited"]').text()).toBe('edited');
  });

  it('shows reactions with counts and who, toggles mine, and names the quoted author', async () => {
    const env = setupEnv();
    const m = msg({ convSeq: 5, text: 'react', replyTo: { serverId: 9, senderId: 3, preview: 'earlier' }, reactions: [{ emoji: '👍', userIds: [1, 3], mine: true }, { emoji: '🎉', userIds: [3], mine: false }] });
    const w = mountWith(env, MessageItem, { props: { ...base, message: m, quoteAuthor: 'Carol' } });
    const chips = w.findAll('[data-test="reaction"]');
    expect(chips.map((c) => c.text())).toEqual(['👍2', '🎉1']);
    expect(chips[0]!.attributes('title')).toBe('You, Carol');
    expect(chips[0]!.attributes('aria-pressed')).toBe('true');
    await chips[0]!.trigger('click');
    await chips[1]!.trigger('click');
    expect(w.emitted('react')).toEqual([[m, '👍', false], [m, '🎉', true]]);
    expect(w.get('[data-test="message-quote"]').text()).toContain('Carol');
  });
});

describe('CommonAvatar', () => {
  it('draws initials on a colour from the id when there is no image', () => {
    const env = setupEnv();
    const a = mountWith(env, CommonAvatar, { props: { name: 'ada lovelace', seed: 7 } });
    const b = mountWith(env, CommonAvatar, { props: { name: '王小明', seed: 8 } });
    expect(a.text()).toBe('AL');
    expect(b.text()).toBe('王');
    expect(a.find('img').exists()).toBe(false);
    const remote = mountWith(env, CommonAvatar, { props: { name: 'x', seed: 1, src: 'https://tracker.example/a.png' } });
    expect(remote.find('img').exists()).toBe(false);
  });

  it('never mixes scripts in initials (rough edge: "B鲍")', () => {
    expect(initials('Ben 鲍')).toBe('B');
    expect(initials('鲍 Ben')).toBe('鲍');
    expect(initials('陈云')).toBe('陈');
    expect(initials('Ann Lee')).toBe('AL');
    expect(initials('mary-jane watson')).toBe('MJ');
    expect(initials('김민준')).toBe('김');
    expect(initials('さくら')).toBe('さ');
    expect(initials('Élodie 王')).toBe('É');
    expect(initials('🎉 party')).toBe('P');
    expect(initials('🎉')).toBe('🎉');
    expect(initials('  ')).toBe('?');
    expect(initials('𠀋先生')).toBe('𠀋');
  });
});

describe('AuthFirstRun', () => {
  it('shows translated errors for a wrong password and an unreachable server', async () => {
    let code: ErrorCode = 'BAD_CREDENTIALS';
    const env = setupEnv({ login: () => Promise.reject(new MessengerError({ code, message: 'x' })) }, 'zh-CN');
    useSettingsStore().settings = testSettings;
    useSessionStore().setSession(null);
    const w = mountWith(env, AuthFirstRun);
    await w.get('[data-test="username"]').setValue('Alice');
    await w.get('[data-test="password"]').setValue('wrong-password');
    await w.get('form').trigger('submit');
    await flush();
    expect(env.fake.calls.login).toHaveBeenCalledWith({ username: 'alice', password: 'wrong-password' });
    expect(w.get('[data-test="auth-error"]').text()).toBe('用户名或密码错误。');
    code = 'SERVER_KEY_MISMATCH';
    await w.get('form').trigger('submit');
    await flush();
    expect(w.get('[data-test="auth-error"]').text()).toContain('公钥');
  });

  it('registers against an edited server', async () => {
    const env = setupEnv({ register: () => Promise.reject(new MessengerError({ code: 'USERNAME_TAKEN', message: 'x' })) });
    useSettingsStore().settings = testSettings;
    const w = mountWith(env, AuthFirstRun);
    await w.get('[data-test="switch-mode"]').trigger('click');
    await w.get('[data-test="username"]').setValue('bob');
    await w.get('[data-test="password"]').setValue('password123');
    await w.get('[data-test="server-toggle"]').trigger('click');
    await w.get('[data-test="server-port"]').setValue('9000');
    await w.get('form').trigger('submit');
    await flush();
    expect(env.fake.calls.register).toHaveBeenCalledWith({ username: 'bob', password: 'password123', server: { ...testSettings.servers[0], port: 9000 } });
    // A taken username is said under the username field, not as the form's error.
    expect(w.get('[data-test="username-error"]').text()).toBe('That username is taken. Please choose another.');
    expect(w.find('[data-test="auth-error"]').exists()).toBe(false);
  });

  it('checks each field before asking the core, naming the field and why', async () => {
    const env = setupEnv({}, 'zh-CN');
    useSettingsStore().settings = testSettings;
    const w = mountWith(env, AuthFirstRun);
    await w.get('[data-test="switch-mode"]').trigger('click');
    await w.get('form').trigger('submit');
    await flush();
    expect(w.get('[data-test="username-error"]').text()).toBe('请填写用户名。');
    expect(w.get('[data-test="password-error"]').text()).toBe('请填写密码。');
    await w.get('[data-test="username"]').setValue('ab');
    await w.get('[data-test="password"]').setValue('1234567');
    await w.get('form').trigger('submit');
    await flush();
    expect(w.get('[data-test="username-error"]').text()).toBe('用户名至少需要 3 个字符。');
    expect(w.get('[data-test="password-error"]').text()).toBe('密码至少需要 8 个字符。');
    expect(env.fake.calls.register).not.toHaveBeenCalled();
    await w.get('[data-test="username"]').setValue('abc');
    await flush();
    expect(w.find('[data-test="username-error"]').exists()).toBe(false);
  });
});

describe('cache notices', () => {
  it('a lost key is told apart from a damaged cache, in both languages', async () => {
    for (const [locale, keyLost, damaged] of [
      ['en', 'system keychain changed', 'damaged'],
      ['zh-CN', '系统钥匙串已更改', '已损坏'],
    ] as const) {
      const env = setupEnv({}, locale);
      const session = useSessionStore();
      session.bind();
      env.fake.emit('cacheRecovered', { error: { code: 'CACHE_KEY_LOST', message: 'x' }, movedTo: '/x', recoveredOutbox: 0 });
      expect(session.notice).toBe('cacheKeyLost');
      expect(env.i18n.global.t(`notices.${session.notice}`)).toContain(keyLost);
      env.fake.emit('cacheRecovered', { error: { code: 'CACHE_CORRUPT', message: 'x' }, movedTo: '/x', recoveredOutbox: 0 });
      expect(session.notice).toBe('cacheRecovered');
      expect(env.i18n.global.t(`notices.${session.notice}`)).toContain(damaged);
    }
  });
});

describe('a notice raised while signing in', () => {
  it('stays after the sign-in resolves (the cache was rebuilt during the login)', async () => {
    let emitDuringLogin = () => {};
    const env = setupEnv({
      login: async () => {
        emitDuringLogin();
        return { account: { userId: 1, username: 'a', nickname: 'A', avatar: '', server: 'h:1', canAutoLogin: true, lastLoginAt: 1 }, profile: { userId: 1, username: 'a', nickname: 'A', avatar: '', signature: '' } } as never;
      },
    });
    const session = useSessionStore();
    session.bind();
    emitDuringLogin = () => env.fake.emit('cacheRecovered', { error: { code: 'CACHE_KEY_LOST', message: 'x' }, movedTo: '/x', recoveredOutbox: 0 });
    expect(await session.login({ username: 'a', password: 'password1' })).toBe(true);
    expect(session.notice).toBe('cacheKeyLost');
  });
});
