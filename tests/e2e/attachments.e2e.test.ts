/**
 * Attachments through the UI: a picture pasted into the composer (preview,
 * remove, send), a file dropped onto the conversation, the receiver's inline
 * picture (placeholder, then thumbnail) and file card with its download, the
 * viewer (zoom, next/previous), progress in the middle of an upload, and an
 * upload that resumes after the server restarts. Screenshots of each step.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  acceptFriendRequest, chatWith, launchBrowser, openConversation, openUser, pickFile, register, removeDir, sendFriendRequest, shot, shotOnFailure,
  startTestServer, type TestServer, type User,
} from './harness';

let browser: Browser;
let server: TestServer;
let alice: User;
let bob: User;

beforeAll(async () => {
  server = await startTestServer({ blobProxy: true });
  browser = await launchBrowser();
  alice = await openUser(browser, 'alice', [server.endpoint], { timings: { connectTimeoutMs: 2000 } });
  bob = await openUser(browser, 'bob', [server.endpoint]);
  await register(alice.page, 'alice', 'Alice');
  await register(bob.page, 'bob', 'Bob');
  await sendFriendRequest(alice.page, 'bob');
  await acceptFriendRequest(bob.page, 'Alice');
  await alice.page.getByTestId('friend').filter({ hasText: 'Bob' }).waitFor();
  await chatWith(alice.page, 'Bob');
});

afterAll(async () => {
  for (const u of [alice, bob]) await u?.close();
  await browser?.close();
  await server?.stop().catch(() => undefined);
  await server?.blobProxy?.stop();
  for (const u of [alice, bob]) if (u) removeDir(u.dataDir);
  if (server) removeDir(server.dataDir);
});

afterEach(async (ctx) => shotOnFailure(ctx.task, [alice, bob]));

/** A photo-like PNG drawn in the page (gradient sky, sun, hills), pasted into the composer as a screenshot would be. */
async function pastePicture(page: Page, width: number, height: number): Promise<void> {
  await page.getByTestId('composer').click();
  await page.evaluate(async ([w, h]) => {
    const canvas = document.createElement('canvas');
    canvas.width = w!;
    canvas.height = h!;
    const g = canvas.getContext('2d')!;
    const sky = g.createLinearGradient(0, 0, 0, h!);
    sky.addColorStop(0, '#3b82c4');
    sky.addColorStop(1, '#f6c28b');
    g.fillStyle = sky;
    g.fillRect(0, 0, w!, h!);
    g.fillStyle = '#ffe27a';
    g.beginPath();
    g.arc(w! * 0.72, h! * 0.35, h! * 0.12, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#2f6b3a';
    g.beginPath();
    g.moveTo(0, h!);
    for (let x = 0; x <= w!; x += 20) g.lineTo(x, h! * 0.7 + Math.sin(x / 90) * h! * 0.08);
    g.lineTo(w!, h!);
    g.fill();
    const blob = await new Promise<Blob>((r) => canvas.toBlob((b) => r(b!), 'image/png'));
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'image.png', { type: 'image/png' }));
    const box = document.querySelector('[data-test="composer"]')!;
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, [width, height]);
}

/** Drags a file over the conversation (the drop zone shows), then drops it. */
async function dropFile(page: Page, name: string, type: string, content: string, screenshot?: string): Promise<void> {
  const dt = await page.evaluateHandle(([n, t, c]) => {
    const d = new DataTransfer();
    d.items.add(new File([c!], n!, { type: t! }));
    return d;
  }, [name, type, content]);
  const pane = page.getByTestId('conversation-pane');
  await pane.dispatchEvent('dragenter', { dataTransfer: dt });
  await pane.dispatchEvent('dragover', { dataTransfer: dt });
  await page.getByTestId('drop-zone').waitFor();
  if (screenshot) await shot(page, screenshot);
  await pane.dispatchEvent('drop', { dataTransfer: dt });
  await page.getByTestId('drop-zone').waitFor({ state: 'detached' });
}

function lastMessage(page: Page) {
  return page.getByTestId('message').last();
}

describe('attachments end to end', () => {
  it('a pasted picture: preview with remove, sent with a caption; the receiver sees it inline and opens it in the viewer', async () => {
    await pastePicture(alice.page, 1600, 1000);
    const files = alice.page.getByTestId('composer-file');
    await expect.poll(() => files.first().getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    // A second picture, removed again before sending.
    await pastePicture(alice.page, 600, 900);
    await expect.poll(() => files.count()).toBe(2);
    await expect.poll(() => files.nth(1).getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    await shot(alice.page, '60-attach-paste-preview');
    await files.nth(1).getByTestId('composer-file-remove').click();
    await expect.poll(() => files.count()).toBe(1);
    await alice.page.getByTestId('composer').fill('Sunset from the hill 山顶的日落');
    await alice.page.getByTestId('send').click();
    await expect.poll(() => files.count()).toBe(0);
    await expect.poll(() => lastMessage(alice.page).getAttribute('data-status'), { timeout: 30_000 }).not.toBe('pending');

    await openConversation(bob.page, 'Alice');
    const image = lastMessage(bob.page).getByTestId('attachment-image');
    await expect.poll(() => image.getAttribute('data-loaded'), { timeout: 30_000 }).toBe('true');
    // Sized from the sender's dimensions (1600x1000 into 320x320): the placeholder held the place.
    const box = await image.boundingBox();
    expect(Math.round(box!.width)).toBe(320);
    expect(Math.round(box!.height)).toBe(200);
    await expect.poll(() => lastMessage(bob.page).getByTestId('message-text').textContent()).toBe('Sunset from the hill 山顶的日落');
    await shot(bob.page, '61-attach-receiver-inline-image');

    await image.click();
    const viewer = bob.page.getByTestId('lightbox-image');
    await expect.poll(() => viewer.getAttribute('data-full'), { timeout: 30_000 }).toBe('true');
    // The full picture, decoded at its own size.
    expect(await viewer.evaluate((img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight])).toEqual([1600, 1000]);
    await shot(bob.page, '62-attach-lightbox');
    await bob.page.getByTestId('lightbox-zoom-in').click();
    await expect.poll(() => bob.page.getByTestId('lightbox-zoom').textContent()).toBe('125%');
    await bob.page.keyboard.press('Escape');
    await bob.page.getByTestId('lightbox').waitFor({ state: 'detached' });

    // The conversation list says what it is.
    await bob.page.getByTestId('nav-chats').click();
    await expect.poll(() => bob.page.getByTestId('conversation-item').first().textContent()).toContain('[Photo] Sunset from the hill');
  });

  it('a file dropped onto the conversation: a card for the receiver, downloaded on demand, saved as a download in the browser', async () => {
    const content = `%PDF-1.4\n${'Quarterly report 季度报告\n'.repeat(4000)}%%EOF\n`;
    await dropFile(alice.page, 'Q3 report 季度报告.pdf', 'application/pdf', content, '63-attach-drop-zone');
    const files = alice.page.getByTestId('composer-file');
    await expect.poll(() => files.first().getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    await alice.page.getByTestId('send').click();
    await expect.poll(() => lastMessage(alice.page).getAttribute('data-status'), { timeout: 30_000 }).not.toBe('pending');

    await openConversation(bob.page, 'Alice');
    const card = lastMessage(bob.page).getByTestId('attachment-file');
    await card.waitFor({ timeout: 30_000 });
    expect(await card.getByTestId('attachment-name').textContent()).toBe('Q3 report 季度报告.pdf');
    expect(await card.getAttribute('data-category')).toBe('pdf');
    await card.getByTestId('attachment-download').click();
    await card.getByTestId('attachment-save').waitFor({ timeout: 30_000 });
    await shot(bob.page, '64-attach-receiver-file-card');
    const [download] = await Promise.all([bob.page.waitForEvent('download'), card.getByTestId('attachment-save').click()]);
    expect(download.suggestedFilename()).toBe('Q3 report 季度报告.pdf');
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path, 'utf8')).toBe(content);
    await bob.page.getByTestId('nav-chats').click();
    await expect.poll(() => bob.page.getByTestId('conversation-item').first().textContent()).toContain('[File] Q3 report 季度报告.pdf');
  });

  it('progress in the middle of an upload; the server restarts and the upload resumes', async () => {
    // Made in the page and given to the file picker (24 MiB over the DevTools protocol is slow on a loaded machine).
    await alice.page.evaluate((size) => {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 4) new DataView(bytes.buffer).setUint32(i, Math.imul(i, 2654435761) >>> 0, true);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'holiday-video.mp4', { type: 'video/mp4' }));
      const input = document.querySelector<HTMLInputElement>('[data-test="file-input"]')!;
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, 24 * 1024 * 1024);
    const files = alice.page.getByTestId('composer-file');
    await expect.poll(() => files.first().getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');

    // The server goes down the moment the upload shows progress past a fifth. The
    // blob link is held to 8 MB/s meanwhile: on loopback a fast machine uploads
    // 24 MiB between two progress events, and the cut never comes.
    server.blobProxy!.shape({ bytesPerSec: 8_000_000 });
    let cut = false;
    await alice.page.exposeFunction('cutServer', async () => {
      if (cut) return;
      cut = true;
      await server.stop();
    });
    await alice.page.evaluate(() => {
      const seen = () => {
        const el = document.querySelector('[data-test="transfer"][data-direction="upload"] [role="progressbar"]');
        const v = Number(el?.getAttribute('aria-valuenow') ?? 0);
        if (v >= 20 && v < 100) {
          observer.disconnect();
          void (window as unknown as { cutServer(): Promise<void> }).cutServer();
        }
      };
      const observer = new MutationObserver(seen);
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await alice.page.getByTestId('send').click();
    await expect.poll(() => cut, { timeout: 60_000 }).toBe(true);
    const bar = lastMessage(alice.page).getByTestId('transfer');
    await bar.waitFor();
    const percent = Number(await bar.getByRole('progressbar').getAttribute('aria-valuenow'));
    expect(percent).toBeGreaterThanOrEqual(20);
    expect(percent).toBeLessThan(100);
    expect(await lastMessage(alice.page).getAttribute('data-status')).toBe('pending');
    await shot(alice.page, '65-attach-upload-progress-server-down');

    server.blobProxy!.shape({});
    await server.restart();
    await expect.poll(() => lastMessage(alice.page).getAttribute('data-status'), { timeout: 90_000 }).not.toBe('pending');
    expect(await lastMessage(alice.page).getAttribute('data-status')).not.toBe('failed');
    await openConversation(bob.page, 'Alice');
    // Bob's core comes back to the restarted server on its own back-off: until it has synced, the last message is the
    // previous file (whose card matched at once and failed the name check under load). Wait for the new one.
    const card = lastMessage(bob.page).getByTestId('attachment-file').filter({ hasText: 'holiday-video.mp4' });
    await card.waitFor({ timeout: 30_000 });
    expect(await card.getByTestId('attachment-name').textContent()).toBe('holiday-video.mp4');
    expect(await card.getByTestId('attachment-size').textContent()).toBe('24 MB');
    await card.getByTestId('attachment-download').click();
    await card.getByTestId('attachment-save').waitFor({ timeout: 60_000 });
    await shot(alice.page, '66-attach-resumed-after-restart-sender');
    await shot(bob.page, '67-attach-resumed-after-restart-receiver');
  });
});

describe('forwarding and the media list', () => {
  it('a picture forwarded without a new upload; the media list shows pictures as a grid that opens the viewer and files as cards', async () => {
    // Bob forwards Alice's picture back to her: the same encrypted file, the caption with it.
    await openConversation(bob.page, 'Alice');
    const withPicture = bob.page.getByTestId('message').filter({ has: bob.page.getByTestId('attachment-image') }).first();
    await withPicture.getByTestId('message-bubble').click({ button: 'right' });
    await bob.page.getByTestId('message-menu').waitFor();
    expect(await bob.page.getByTestId('menu-copy').count()).toBe(1); // it has a caption
    await bob.page.getByTestId('menu-forward').click();
    await bob.page.getByTestId('forward-dialog').waitFor();
    await bob.page.getByTestId('forward-target').filter({ hasText: 'Alice' }).click();
    await bob.page.getByTestId('forward-send').click();
    await expect.poll(() => lastMessage(bob.page).getAttribute('data-status'), { timeout: 30_000 }).not.toBe('pending');
    expect(await lastMessage(bob.page).getAttribute('data-status')).not.toBe('failed');
    const atAlice = lastMessage(alice.page);
    await expect.poll(() => atAlice.getByTestId('attachment-image').getAttribute('data-loaded'), { timeout: 30_000 }).toBe('true');
    expect(await atAlice.getByTestId('message-text').textContent()).toBe('Sunset from the hill 山顶的日落');
    await shot(alice.page, '70-attach-forwarded-picture');

    // Bob's media list: both pictures (the original and the forward), then the files.
    await bob.page.getByTestId('open-media').click();
    const panel = bob.page.getByTestId('media-panel');
    await panel.waitFor();
    await expect.poll(() => panel.getByTestId('media-item').count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => panel.getByTestId('media-thumbnail').count(), { timeout: 30_000 }).toBe(2);
    await shot(bob.page, '71-attach-media-grid');
    await panel.getByTestId('media-item').first().click();
    const lightbox = bob.page.getByTestId('lightbox');
    await lightbox.waitFor();
    await expect.poll(() => lightbox.textContent()).toContain('2 of 2'); // newest first in the grid, oldest first in the viewer
    await bob.page.getByTestId('lightbox-prev').click();
    await expect.poll(() => lightbox.textContent()).toContain('1 of 2');
    await bob.page.keyboard.press('Escape');
    await lightbox.waitFor({ state: 'detached' });
    await panel.getByTestId('media-tab-files').click();
    await expect.poll(() => panel.getByTestId('media-file').count(), { timeout: 15_000 }).toBe(2);
    expect(await panel.getByTestId('attachment-name').allTextContents()).toEqual(['holiday-video.mp4', 'Q3 report 季度报告.pdf']);
    expect(await panel.getByTestId('media-file').first().textContent()).toContain('Alice');
    await shot(bob.page, '72-attach-media-files');
    await panel.getByTestId('media-close').click();
    await panel.waitFor({ state: 'detached' });

    // Alice's list has the same files (hers), and Escape closes it.
    await alice.page.getByTestId('open-media').click();
    await alice.page.getByTestId('media-tab-files').click();
    await expect.poll(() => alice.page.getByTestId('media-file').count(), { timeout: 15_000 }).toBe(2);
    await alice.page.keyboard.press('Escape');
    await alice.page.getByTestId('media-panel').waitFor({ state: 'detached' });
  });
});

describe('files and storage in settings', () => {
  it('shows what the cache holds, a lower auto-download size and cap are kept, clear cache empties it and a file downloads again', async () => {
    const page = bob.page;
    await page.getByTestId('nav-settings').click();
    const section = page.getByTestId('settings-storage');
    await section.scrollIntoViewIfNeeded();
    // Bob downloaded the picture, the report and the video above.
    const usage = section.getByTestId('cache-usage');
    await expect.poll(async () => (await usage.textContent()) ?? '', { timeout: 15_000 }).toMatch(/\((\d+) files\) of 2\.0 GB/);
    const before = Number(/\((\d+) files\)/.exec((await usage.textContent())!)![1]);
    expect(before).toBeGreaterThanOrEqual(2);
    await section.getByTestId('auto-download').selectOption('1');
    await section.getByTestId('cache-limit').selectOption('512');
    await expect.poll(async () => (await usage.textContent()) ?? '').toContain('of 512 MB');
    await shot(page, '68-attach-settings-storage');
    await section.getByTestId('clear-cache').click();
    await expect.poll(async () => (await section.getByTestId('storage-result').textContent()) ?? '').toMatch(/^Freed \d/);
    await expect.poll(async () => (await usage.textContent()) ?? '').toContain('(0 files)');
    expect(await section.getByTestId('clear-cache').isDisabled()).toBe(true);
    await shot(page, '69-attach-settings-storage-cleared');
    // Kept across a reload (they are the core's settings).
    await page.reload();
    await page.getByTestId('nav-settings').click();
    expect(await page.getByTestId('auto-download').inputValue()).toBe('1');
    expect(await page.getByTestId('cache-limit').inputValue()).toBe('512');
    // The report was cleared away: it downloads again when opened, the same bytes.
    await openConversation(page, 'Alice');
    const card = page.getByTestId('attachment-file').filter({ hasText: 'Q3 report' }).last();
    await card.scrollIntoViewIfNeeded();
    await card.getByTestId('attachment-download').click();
    await card.getByTestId('attachment-save').waitFor({ timeout: 30_000 });
  });
});

describe('a download while the server restarts', () => {
  it('waits for the connection, says so, and finishes once the server is back (no "Could not load")', async () => {
    await chatWith(alice.page, 'Bob');
    await pickFile(alice.page, 'manual.pdf', 'application/pdf', 6 * 1024 * 1024, 77);
    await expect.poll(() => alice.page.getByTestId('composer-file').first().getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    await alice.page.getByTestId('send').click();
    await openConversation(bob.page, 'Alice');
    const card = lastMessage(bob.page).getByTestId('attachment-file').filter({ hasText: 'manual.pdf' });
    await card.waitFor({ timeout: 60_000 });

    // Held to 1 MB/s, the download is still going when the server stops.
    server.blobProxy!.shape({ bytesPerSec: 1_000_000 });
    await card.getByTestId('attachment-download').click();
    await expect.poll(async () => Number((await card.getByRole('progressbar').getAttribute('aria-valuenow').catch(() => null)) ?? 0), { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
    await server.stop();
    await card.getByTestId('transfer-waiting').waitFor({ timeout: 60_000 });
    expect(await card.getByTestId('attachment-failed').count()).toBe(0);
    await shot(bob.page, '73-attach-download-waits-for-server');

    server.blobProxy!.shape({});
    await server.restart();
    await card.getByTestId('attachment-save').waitFor({ timeout: 90_000 });
    expect(await card.getByTestId('attachment-failed').count()).toBe(0);
    await shot(bob.page, '74-attach-download-finished-after-restart');
  });
});

