import { describe, expect, it } from 'vitest';
import { MessengerError, type ConversationKey } from '../../shared/ipc';
import MessageComposer from '../../renderer/components/message/MessageComposer.vue';
import { useAttachmentsStore } from '../../renderer/stores/attachments';
import { useConversationsStore } from '../../renderer/stores/conversations';
import type { MentionCandidate } from '../../renderer/composables/mentions';
import { conv, msg } from './fake-api';
import { flush, mountWith, setupEnv } from './setup';

const members: MentionCandidate[] = [
  { userId: 0, name: 'Everyone', username: 'all' },
  { userId: 2, name: 'Bob', username: 'bob' },
  { userId: 3, name: 'Carol', username: 'carol' },
];

function setup(key: 'u:2' | 'g:7' = 'u:2') {
  const env = setupEnv({ sendMessage: ({ key: k, text }) => ({ id: msg({ conversationKey: k as ConversationKey, text, outgoing: true, status: 'pending' }).id }) });
  useConversationsStore().apply([conv({ key: 'u:2', draft: 'saved draft' }), conv({ key: 'g:7' })]);
  const wrapper = mountWith(env, MessageComposer, {
    props: { conversationKey: key, members: key === 'g:7' ? members : [], replyTo: null, replyName: '', editing: null },
    attachTo: document.body,
  });
  return { env, wrapper, box: wrapper.get<HTMLTextAreaElement>('[data-test="composer"]') };
}

describe('MessageComposer', () => {
  it('sends on Enter and adds a line on Shift+Enter', async () => {
    const { env, box } = setup('g:7');
    await box.setValue('first line');
    await box.trigger('keydown', { key: 'Enter', shiftKey: true });
    expect(env.fake.calls.sendMessage).not.toHaveBeenCalled();
    await box.trigger('keydown', { key: 'Enter' });
    await flush();
    expect(env.fake.calls.sendMessage).toHaveBeenCalledWith({ key: 'g:7', text: 'first line' });
    expect(box.element.value).toBe('');
  });

  it('does not send while an input method is composing', async () => {
    const { env, box } = setup();
    await box.setValue('nihao');
    await box.trigger('keydown', { key: 'Enter', isComposing: true });
    expect(env.fake.calls.sendMessage).not.toHaveBeenCalled();
  });

  it('restores the draft of each conversation', async () => {
    const { wrapper, box } = setup();
    expect(box.element.value).toBe('saved draft');
    await box.setValue('typing in u:2');
    await wrapper.setProps({ conversationKey: 'g:7' });
    expect(box.element.value).toBe('');
    await wrapper.setProps({ conversationKey: 'u:2' });
    expect(box.element.value).toBe('typing in u:2');
    expect(useConversationsStore().byKey.get('u:2')!.draft).toBe('typing in u:2');
  });

  it('opens the member picker on @ in groups and sends the picked mention ids', async () => {
    const { env, wrapper, box } = setup('g:7');
    box.element.value = 'hi @ca';
    box.element.setSelectionRange(6, 6);
    await box.trigger('input');
    const options = wrapper.findAll('[data-test="mention-option"]');
    expect(options.map((o) => o.text())).toEqual([expect.stringContaining('Carol')]);
    await box.trigger('keydown', { key: 'Enter' });
    expect(box.element.value).toBe('hi @Carol ');
    expect(wrapper.find('[data-test="mention-picker"]').exists()).toBe(false);
    await box.setValue('hi @Carol look');
    await box.trigger('keydown', { key: 'Enter' });
    await flush();
    expect(env.fake.calls.sendMessage).toHaveBeenCalledWith({ key: 'g:7', text: 'hi @Carol look', mentions: [3] });
  });

  it('offers no picker in a 1:1 chat', async () => {
    const { wrapper, box } = setup('u:2');
    box.element.value = '@b';
    box.element.setSelectionRange(2, 2);
    await box.trigger('input');
    expect(wrapper.find('[data-test="mention-picker"]').exists()).toBe(false);
  });

  it('edits a message: its text in the box, Enter saves through editMessage, Escape cancels, the draft comes back', async () => {
    const { env, wrapper, box } = setup('u:2');
    const mine = msg({ convSeq: 9, outgoing: true, text: 'helo', status: 'read' });
    await wrapper.setProps({ editing: mine });
    expect(box.element.value).toBe('helo');
    expect(wrapper.get('[data-test="edit-bar"]').text()).toContain('Editing message');
    await box.setValue('hello');
    await box.trigger('keydown', { key: 'Enter' });
    await flush();
    expect(env.fake.calls.editMessage).toHaveBeenCalledWith({ messageId: mine.id, text: 'hello' });
    expect(env.fake.calls.sendMessage).not.toHaveBeenCalled();
    expect(wrapper.emitted('cancelEdit')).toHaveLength(1);
    await wrapper.setProps({ editing: null });
    expect(box.element.value).toBe('saved draft');
    // Escape cancels; Up in an empty box asks to edit the last message.
    await wrapper.setProps({ editing: mine });
    await box.trigger('keydown', { key: 'Escape' });
    expect(wrapper.emitted('cancelEdit')).toHaveLength(2);
    await wrapper.setProps({ editing: null });
    await box.setValue('');
    await box.trigger('keydown', { key: 'ArrowUp' });
    expect(wrapper.emitted('editLast')).toHaveLength(1);
  });

  it('the emoji picker inserts at the caret and finds emoji by English or Chinese words', async () => {
    const { wrapper, box } = setup('u:2');
    await box.setValue('ab');
    box.element.setSelectionRange(1, 1);
    await wrapper.get('[data-test="emoji-button"]').trigger('click');
    const search = wrapper.get('[data-test="emoji-search"]');
    await search.setValue('thumbs');
    expect(wrapper.findAll('[data-test="emoji"]').map((e) => e.text())).toEqual(['👍', '👎']);
    await search.setValue('熊猫');
    expect(wrapper.findAll('[data-test="emoji"]').map((e) => e.text())).toEqual(['🐼']);
    await wrapper.get('[data-test="emoji"]').trigger('click');
    expect(box.element.value).toBe('a🐼b');
  });
});

describe('MessageComposer keeps what was written', () => {
  const replyTo = msg({ id: 'r1', serverId: 501, text: 'the quoted one' });

  /** A composer whose reply follows its events, as in the conversation pane. */
  function mountPane(env: ReturnType<typeof setupEnv>, key: 'u:2' | 'g:7', reply: typeof replyTo | null = null) {
    const wrapper = mountWith(env, MessageComposer, {
      props: {
        conversationKey: key, members: key === 'g:7' ? members : [], replyTo: reply, replyName: 'Bob',
        onCancelReply: () => void wrapper.setProps({ replyTo: null }),
        onReply: (m: typeof replyTo) => void wrapper.setProps({ replyTo: m }),
      },
      attachTo: document.body,
    });
    return { wrapper, box: wrapper.get<HTMLTextAreaElement>('[data-test="composer"]') };
  }

  /** A core whose sendMessage answers only when the test says so (a busy core thread). */
  function slowCore(refuse: (text: string) => boolean = () => false) {
    const pending: Array<() => void> = [];
    const env = setupEnv({
      sendMessage: ({ key, text }) => new Promise((resolve, reject) => pending.push(() => {
        if (refuse(text)) reject(new MessengerError({ code: 'NOT_LOGGED_IN', message: 'sign in first' }));
        else resolve({ id: msg({ conversationKey: key as ConversationKey, text, outgoing: true }).id });
      })),
    });
    const answerNext = async () => { pending.shift()?.(); await flush(); };
    const sentTexts = () => env.fake.calls.sendMessage.mock.calls.map(([a]) => (a as { text: string }).text);
    return { env, answerNext, sentTexts };
  }

  it('a refused send loses nothing: text, reply and mentions come back, the draft too, and the error shows', async () => {
    const { env, answerNext, sentTexts } = slowCore((t) => t.startsWith('look'));
    useConversationsStore().apply([conv({ key: 'g:7' })]);
    const { wrapper, box } = mountPane(env, 'g:7', replyTo);
    box.element.value = 'look @ca';
    box.element.setSelectionRange(8, 8);
    await box.trigger('input');
    await box.trigger('keydown', { key: 'Enter' }); // picks Carol
    await box.setValue('look @Carol, a long thought');
    await box.trigger('keydown', { key: 'Enter' });
    // Taken at once: the box and the reply bar clear while the core is still busy.
    expect(box.element.value).toBe('');
    expect(wrapper.props('replyTo')).toBeNull();
    await answerNext();
    expect(sentTexts()).toEqual(['look @Carol, a long thought']);
    expect(box.element.value).toBe('look @Carol, a long thought');
    expect(wrapper.props('replyTo')).toEqual(replyTo);
    expect(useConversationsStore().byKey.get('g:7')!.draft).toBe('look @Carol, a long thought');
    expect(wrapper.get('[role="alert"]').text()).toBe('Please log in first.');

    // Accepted the second time: the same message, with its reply and mention.
    await box.setValue('Look @Carol, a long thought');
    await wrapper.get('[data-test="send"]').trigger('click');
    await answerNext();
    expect(env.fake.calls.sendMessage).toHaveBeenLastCalledWith({ key: 'g:7', text: 'Look @Carol, a long thought', mentions: [3], replyToServerId: 501 });
    expect(box.element.value).toBe('');
    expect(wrapper.props('replyTo')).toBeNull();
    expect(useConversationsStore().byKey.get('g:7')!.draft).toBe('');
  });

  it('a sent text does not come back as the draft (a pending save of it is dropped when the core clears the draft first)', async () => {
    const env = setupEnv({
      sendMessage: ({ key: k, text }) => {
        // The core answers with its conversation update first: its cached draft is still the empty one.
        useConversationsStore().apply([conv({ key: k as ConversationKey, draft: '' })]);
        return { id: msg({ conversationKey: k as ConversationKey, text, outgoing: true, status: 'pending' }).id };
      },
    });
    useConversationsStore().apply([conv({ key: 'u:2' })]);
    const wrapper = mountWith(env, MessageComposer, { props: { conversationKey: 'u:2', members: [], replyTo: null, replyName: '' }, attachTo: document.body });
    const box = wrapper.get<HTMLTextAreaElement>('[data-test="composer"]');
    await box.setValue('sent at once');
    await box.trigger('keydown', { key: 'Enter' });
    await flush();
    expect(env.fake.calls.sendMessage).toHaveBeenCalledTimes(1);
    await new Promise((r) => setTimeout(r, 500)); // past the draft's save delay
    const saved = env.fake.calls.setDraft.mock.calls.map(([a]) => a as { key: string; text: string }).filter((a) => a.key === 'u:2').map((a) => a.text);
    expect(saved).not.toContain('sent at once');
    expect(saved).toContain(''); // (a save left pending by an earlier test may land after it: the fake is shared)
    expect(useConversationsStore().byKey.get('u:2')!.draft).toBe('');
  });

  it('every Enter sends what the box held then, at once, in order, each once, while the core is still taking the earlier ones', async () => {
    const { env, answerNext, sentTexts } = slowCore();
    useConversationsStore().apply([conv({ key: 'u:2' })]);
    const { box } = mountPane(env, 'u:2');
    for (const t of ['one', 'two', 'three']) {
      await box.setValue(t);
      await box.trigger('keydown', { key: 'Enter' });
      expect(box.element.value).toBe('');
    }
    await box.trigger('keydown', { key: 'Enter' }); // an empty box sends nothing
    await flush();
    // One at a time: the second goes to the core only once the first is in its outbox.
    expect(sentTexts()).toEqual(['one']);
    await answerNext();
    expect(sentTexts()).toEqual(['one', 'two']);
    await answerNext();
    await answerNext();
    expect(sentTexts()).toEqual(['one', 'two', 'three']);
    expect(box.element.value).toBe('');
    expect(useConversationsStore().byKey.get('u:2')!.draft).toBe('');
  });

  it('a refused send brings back the ones queued behind it too, in order, ahead of what was typed since', async () => {
    const { env, answerNext, sentTexts } = slowCore((t) => t === 'one');
    useConversationsStore().apply([conv({ key: 'u:2' })]);
    const { wrapper, box } = mountPane(env, 'u:2');
    for (const t of ['one', 'two']) {
      await box.setValue(t);
      await box.trigger('keydown', { key: 'Enter' });
    }
    await box.setValue('three, not sent yet');
    await answerNext();
    expect(sentTexts()).toEqual(['one']); // 'two' never overtakes 'one'
    expect(box.element.value).toBe('one\ntwo\nthree, not sent yet');
    expect(useConversationsStore().byKey.get('u:2')!.draft).toBe('one\ntwo\nthree, not sent yet');
    expect(wrapper.get('[role="alert"]').text()).toBe('Please log in first.');
  });

  it('files still being handed to the core go with their message: the box clears at once, the message waits for them, and a text sent after it waits behind it', async () => {
    const { env, answerNext, sentTexts } = slowCore();
    const appends: Array<() => void> = [];
    env.fake.calls.getAttachmentLimits.mockImplementation(() => ({ maxFileBytes: 1024 * 1024, maxPerMessage: 3 }));
    env.fake.calls.beginAttachment.mockImplementation(() => ({ stagingId: 'stage-1' }));
    env.fake.calls.appendAttachment.mockImplementation(() => new Promise<void>((r) => appends.push(r)));
    env.fake.calls.finishAttachment.mockImplementation(() => ({ stagingId: 'stage-1', name: 'a.pdf', size: 3, mime: 'application/pdf', kind: 'file', decodable: false, hasThumbnail: false }));
    useConversationsStore().apply([conv({ key: 'u:2' })]);
    const { wrapper, box } = mountPane(env, 'u:2');
    void useAttachmentsStore().addFiles('u:2', [new File(['abc'], 'a.pdf', { type: 'application/pdf' })]);
    await flush();
    await flush();
    expect(wrapper.get('[data-test="composer-file"]').attributes('data-state')).toBe('staging');
    await box.setValue('the report');
    await box.trigger('keydown', { key: 'Enter' });
    await box.setValue('and a note after it');
    await box.trigger('keydown', { key: 'Enter' });
    expect(box.element.value).toBe('');
    expect(wrapper.find('[data-test="composer-file"]').exists()).toBe(false);
    expect(wrapper.get('[data-test="composer-file-outgoing"]').text()).toContain('Sends when ready');
    expect(wrapper.get('[data-test="composer-waiting"]').text()).toBe('1 message waits to go after it');
    await flush();
    expect(sentTexts()).toEqual([]);
    appends.shift()!();
    await flush();
    await flush();
    expect(env.fake.calls.sendMessage.mock.calls[0]![0]).toEqual({ key: 'u:2', text: 'the report', attachments: ['stage-1'] });
    expect(wrapper.find('[data-test="composer-file-outgoing"]').exists()).toBe(false);
    expect(wrapper.find('[data-test="composer-waiting"]').exists()).toBe(false);
    await answerNext();
    await answerNext();
    expect(sentTexts()).toEqual(['the report', 'and a note after it']);
  });

  it('never cuts a long paste: it stays whole, a counter shows the limit, and it cannot be sent until shortened', async () => {
    const { env, wrapper, box } = setup();
    expect(wrapper.find('[data-test="char-counter"]').exists()).toBe(false); // short texts show no counter
    await box.setValue('字'.repeat(20_000));
    expect(box.element.value).toHaveLength(20_000);
    expect(wrapper.get('[data-test="char-counter"]').text()).toBe('20000 / 8000');
    expect(wrapper.get('[data-test="char-counter"]').classes()).toContain('over');
    expect(wrapper.get('[data-test="too-long"]').text()).toBe('A message can have at most 8000 characters. Remove 12000 to send it.');
    expect(box.attributes('aria-invalid')).toBe('true');
    expect(wrapper.get('[data-test="send"]').attributes('disabled')).toBeDefined();
    await box.trigger('keydown', { key: 'Enter' });
    await flush();
    expect(env.fake.calls.sendMessage).not.toHaveBeenCalled();
    expect(box.element.value).toHaveLength(20_000);
    expect(useConversationsStore().byKey.get('u:2')!.draft).toHaveLength(20_000);

    // Characters, not UTF-16 units: 8,000 emoji (16,000 units) are exactly the limit.
    await box.setValue('🐦'.repeat(8000));
    expect(wrapper.get('[data-test="char-counter"]').text()).toBe('8000 / 8000');
    expect(wrapper.find('[data-test="too-long"]').exists()).toBe(false);
    await box.trigger('keydown', { key: 'Enter' });
    await flush();
    expect(env.fake.calls.sendMessage).toHaveBeenCalledWith({ key: 'u:2', text: '🐦'.repeat(8000) });
  });

  it('says it in Chinese too', async () => {
    const env = setupEnv({}, 'zh-CN');
    useConversationsStore().apply([conv({ key: 'u:2' })]);
    const wrapper = mountWith(env, MessageComposer, { props: { conversationKey: 'u:2', members: [], replyTo: null, replyName: '' } });
    await wrapper.get('[data-test="composer"]').setValue('字'.repeat(8001));
    expect(wrapper.get('[data-test="too-long"]').text()).toBe('一条消息最多 8000 个字符，请删去 1 个字符后再发送。');
    expect(wrapper.get('[data-test="char-counter"]').attributes('aria-label')).toBe('8001 / 8000 个字符');
  });
});
