/**
 * The composer never drops a send: messages typed and sent as fast as
 * Playwright can (no waiting for the box to clear between them) all reach the
 * receiver, in order, exactly once, and so do a file, a reply and the texts
 * sent right behind them (each once; a file's message goes once it is uploaded). (The composer used to ignore Enter while the
 * previous send was still being handed to the core, leaving the text in the
 * box, where the next one joined it.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { allMessageTexts, chatWith, openConversation, pickFile, shot, twoFriends, waitForMessage } from './harness';

const t = twoFriends();
beforeAll(() => chatWith(t.alice.page, 'Bob'));

/** Types a text into the focused composer and presses Enter: two DevTools calls, no wait for anything. */
async function typeAndEnter(page: Page, text: string): Promise<void> {
  await page.keyboard.insertText(text);
  await page.keyboard.press('Enter');
}

describe('the composer under fast typing', () => {
  it('messages sent as fast as they can be typed all arrive, in order, exactly once', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `quick ${i + 1} 快速 ${i + 1}`);
    await t.alice.page.getByTestId('composer').click();
    for (const text of texts) await typeAndEnter(t.alice.page, text);
    // Every Enter took its text: the box is empty at once, whatever the core is still doing.
    expect(await t.alice.page.getByTestId('composer').inputValue()).toBe('');
    await shot(t.alice.page, 'composer-01-burst-sent');

    await openConversation(t.bob.page, 'Alice');
    await waitForMessage(t.bob.page, texts.at(-1)!, 60_000);
    expect(await allMessageTexts(t.bob.page)).toEqual(texts);
    expect(await allMessageTexts(t.alice.page)).toEqual(texts);
    await shot(t.bob.page, 'composer-02-burst-received');
  });

  it('a file, a reply and the texts right behind them: each Enter sends what the composer held, in order', async () => {
    // A 6 MiB file, given to the picker: it is still being handed to the core when Enter is pressed.
    await pickFile(t.alice.page, 'plans.bin', 'application/octet-stream', 6 * 1024 * 1024);
    await t.alice.page.getByTestId('composer-file').waitFor();
    await t.alice.page.getByTestId('composer').click();
    await typeAndEnter(t.alice.page, 'the plans, as a file');
    await typeAndEnter(t.alice.page, 'sent right after the file');
    await shot(t.alice.page, 'composer-03-file-sends-when-ready');

    // A reply to Bob's message, and one more text behind it, again without waiting.
    await waitForMessage(t.bob.page, 'sent right after the file', 60_000);
    await t.bob.page.getByTestId('composer').click();
    await typeAndEnter(t.bob.page, 'Got them?');
    const question = t.alice.page.getByTestId('message').filter({ hasText: 'Got them?' });
    await question.waitFor({ timeout: 30_000 });
    await question.hover();
    await question.getByTestId('reply').click();
    await t.alice.page.getByTestId('reply-bar').waitFor();
    await t.alice.page.getByTestId('composer').click();
    await typeAndEnter(t.alice.page, 'yes, all of them');
    await typeAndEnter(t.alice.page, 'and nothing else');
    expect(await t.alice.page.getByTestId('composer').inputValue()).toBe('');
    expect(await t.alice.page.getByTestId('reply-bar').count()).toBe(0);

    await waitForMessage(t.bob.page, 'and nothing else', 60_000);
    const after = (await allMessageTexts(t.bob.page)).slice(40);
    // Each exactly once. The texts keep their order; the file's message goes out once its upload is done (the
    // core's outbox uploads a message's files before sending it), so the text sent right behind it may arrive first.
    expect(after.filter((t) => t !== 'the plans, as a file')).toEqual(['sent right after the file', 'Got them?', 'yes, all of them', 'and nothing else']);
    expect(after.filter((t) => t === 'the plans, as a file')).toHaveLength(1);
    const withFile = t.bob.page.getByTestId('message').filter({ hasText: 'the plans, as a file' });
    expect(await withFile.getByTestId('attachment-name').textContent()).toBe('plans.bin');
    const reply = t.bob.page.getByTestId('message').filter({ hasText: 'yes, all of them' });
    expect(await reply.getByTestId('message-quote').textContent()).toContain('Got them?');
    expect(await t.bob.page.getByTestId('message').filter({ hasText: 'and nothing else' }).getByTestId('message-quote').count()).toBe(0);
    await shot(t.bob.page, 'composer-04-file-reply-received');
  });
});
