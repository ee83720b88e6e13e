import { describe, expect, it } from 'vitest';
import type { ConversationKey } from '../../shared/ipc';
import MessageComposer from '../../renderer/components/message/MessageComposer.vue';
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
    props: { conversationKey: key, members: key === 'g:7' ? members : [], replyTo: null, replyName: '' },
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
});
