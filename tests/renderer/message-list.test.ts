/**
 * MessageList as a component: the older page is asked for (once) when the
 * reader comes within 800 px of the top, not before, and when it arrives the
 * rows the reader was looking at stay where they were on the screen.
 *
 * happy-dom does no layout, so the few sizes the list and its virtualiser
 * read are given here: the viewport is 600 px high, every virtual row 56 px,
 * and the scroller's content is as high as the virtualiser says.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { MessagePage } from '../../shared/ipc';
import MessageList from '../../renderer/components/message/MessageList.vue';
import { msg } from './fake-api';
import { flush, mountWith, setupEnv } from './setup';

const ROW = 56;
const VIEWPORT = 600;

const restore: Array<() => void> = [];
function stub(name: 'offsetHeight' | 'clientHeight' | 'scrollHeight', get: (el: HTMLElement) => number): void {
  const proto = HTMLElement.prototype;
  const previous = Object.getOwnPropertyDescriptor(proto, name) ?? Object.getOwnPropertyDescriptor(Element.prototype, name);
  Object.defineProperty(proto, name, { configurable: true, get(this: HTMLElement) { return get(this); } });
  restore.push(() => (previous ? Object.defineProperty(proto, name, previous) : delete (proto as unknown as Record<string, unknown>)[name]));
}

const isList = (el: HTMLElement) => el.dataset.test === 'message-list';

beforeEach(() => {
  stub('offsetHeight', (el) => (el.classList.contains('row') ? ROW : 0));
  stub('clientHeight', (el) => (isList(el) ? VIEWPORT : 0));
  stub('scrollHeight', (el) => {
    if (!isList(el)) return 0;
    const content = [...el.children].find((c) => (c as HTMLElement).style.position === 'relative') as HTMLElement | undefined;
    return Math.max(VIEWPORT, parseFloat(content?.style.height ?? '0'));
  });
});
afterEach(() => {
  for (const undo of restore.splice(0).reverse()) undo();
});

/** Messages convSeq from..to, all on one day (one day separator above them all). */
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => msg({ convSeq: from + i, sentAt: 1_700_000_000_000 + (from + i) * 1000 }));

/** The list's history: the latest page at once; each older page only when the test lets it through. */
function history() {
  const held: Array<() => void> = [];
  const env = setupEnv({
    loadMessages: async (args): Promise<MessagePage> => {
      if (!args.anchor) return { messages: range(101, 150), hasMoreBefore: true, hasMoreAfter: false };
      await new Promise<void>((release) => held.push(release));
      return { messages: range(51, 100), hasMoreBefore: true, hasMoreAfter: false };
    },
  });
  return { env, held };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await flush();
    await nextTick();
  }
}

/** Where a message's row is on the screen: its offset in the content minus how far the list is scrolled. */
function screenTop(scroller: HTMLElement, id: string): number {
  const row = scroller.querySelector(`[data-id="${id}"]`)?.closest('.row') as HTMLElement | null;
  if (!row) throw new Error(`row ${id} is not rendered`);
  const start = Number(/translateY\(([-\d.]+)px\)/.exec(row.style.transform)?.[1]);
  return start - scroller.scrollTop;
}

function scrollTo(scroller: HTMLElement, top: number): void {
  scroller.scrollTop = top;
  scroller.dispatchEvent(new Event('scroll'));
}

// Rendering some 30 message rows in happy-dom takes seconds on a busy machine: a generous budget, no time asserted.
describe('MessageList', { timeout: 30_000 }, () => {
  it('opens at the bottom of the latest page', async () => {
    const { env } = history();
    const w = mountWith(env, MessageList, { props: { conversationKey: 'u:2', group: false, unreadAtOpen: 0, peerName: 'Bob', peerAvatar: '' }, attachTo: document.body });
    await settle();
    const scroller = w.get('[data-test="message-list"]').element as HTMLElement;
    expect(env.fake.calls.loadMessages).toHaveBeenCalledTimes(1);
    expect(scroller.scrollTop).toBe(scroller.scrollHeight);
    w.unmount();
  });

  it('asks for the older page once within 800 px of the top, once, and keeps the rows the reader looks at in place', async () => {
    const { env, held } = history();
    const w = mountWith(env, MessageList, { props: { conversationKey: 'u:2', group: false, unreadAtOpen: 0, peerName: 'Bob', peerAvatar: '' }, attachTo: document.body });
    await settle();
    const scroller = w.get('[data-test="message-list"]').element as HTMLElement;
    const contentBefore = scroller.scrollHeight;
    expect(contentBefore).toBe(51 * ROW); // a day separator and 50 messages, every row 56 px here

    // Far from the top: nothing is fetched.
    scrollTo(scroller, 900);
    await settle();
    expect(env.fake.calls.loadMessages).toHaveBeenCalledTimes(1);

    // Within 800 px of the top: the older page is asked for, before the top is reached (a prefetch), and only once,
    // though the reader scrolls on while it loads.
    scrollTo(scroller, 700);
    await settle();
    scrollTo(scroller, 650);
    await settle();
    expect(env.fake.calls.loadMessages).toHaveBeenCalledTimes(2);
    expect(env.fake.calls.loadMessages.mock.calls[1]![0]).toMatchObject({ key: 'u:2', anchor: { messageId: 'm101', direction: 'before' } });
    expect(w.find('.edge').text()).toBe('Loading earlier messages…');

    // The reader now looks at the row at the top of the viewport (where they are now, not where the load started).
    const topRow = [...scroller.querySelectorAll<HTMLElement>('[data-test="message"]')].find((m) => screenTop(scroller, m.dataset.id!) >= 0)!;
    const id = topRow.dataset.id!;
    const before = screenTop(scroller, id);
    held.shift()!();
    await settle();

    // On a busy machine the list may take a few more turns to measure and re-render: wait (bounded) for it to settle.
    await vi.waitFor(() => {
      expect(scroller.scrollHeight).toBe(contentBefore + 50 * ROW);
      expect(screenTop(scroller, id)).toBe(before); // same place on the screen, though 50 rows now sit above it
    }, { timeout: 10_000, interval: 50 });
    w.unmount();
  });

  it('asks for nothing more once the beginning of the conversation is loaded', async () => {
    const env = setupEnv({ loadMessages: async () => ({ messages: range(1, 10), hasMoreBefore: false, hasMoreAfter: false }) });
    const w = mountWith(env, MessageList, { props: { conversationKey: 'u:2', group: false, unreadAtOpen: 0, peerName: 'Bob', peerAvatar: '' }, attachTo: document.body });
    await settle();
    const scroller = w.get('[data-test="message-list"]').element as HTMLElement;
    scrollTo(scroller, 0);
    await settle();
    expect(env.fake.calls.loadMessages).toHaveBeenCalledTimes(1);
    expect(w.find('.edge').text()).toBe('This is the beginning of the conversation');
    w.unmount();
  });
});
