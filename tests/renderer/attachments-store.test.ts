import { beforeEach, describe, expect, it } from 'vitest';
import type { AttachmentSummary, StagedAttachment } from '../../shared/ipc';
import { ATTACHMENT_UPLOAD_SLICE } from '../../shared/ipc/methods';
import { attachmentLabel, withCaption } from '../../renderer/composables/attachmentText';
import { en } from '../../renderer/i18n/en';
import { useAttachmentsStore } from '../../renderer/stores/attachments';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { useMessagesStore } from '../../renderer/stores/messages';
import { conv } from './fake-api';
import MessageAttachmentFile from '../../renderer/components/message/MessageAttachmentFile.vue';
import { flush, mountWith, setupEnv, type TestEnv } from './setup';

function staged(name: string, size: number): StagedAttachment {
  return { stagingId: `stage-${name}`.replace(/[^A-Za-z0-9_-]/g, '_'), name, size, mime: 'application/pdf', kind: 'file', decodable: false, hasThumbnail: false };
}

describe('attachments store', () => {
  let env: TestEnv;
  const appended: Array<{ stagingId: string; offset: number; bytes: number }> = [];
  beforeEach(() => {
    appended.length = 0;
    env = setupEnv({
      getAttachmentLimits: () => ({ maxFileBytes: 1024 * 1024, maxPerMessage: 3 }),
      beginAttachment: ({ name }) => ({ stagingId: `stage-${name}`.replace(/[^A-Za-z0-9_-]/g, '_') }),
      appendAttachment: ({ stagingId, offset, data }) => {
        appended.push({ stagingId, offset, bytes: atob(data).length });
      },
      finishAttachment: ({ stagingId }) => staged(stagingId.slice(6), appended.filter((a) => a.stagingId === stagingId).reduce((n, a) => n + a.bytes, 0)),
      sendMessage: () => ({ id: 'm1' }),
    });
  });

  it('hands a file over in slices that fit a shell message, in order, then sends it with the caption', async () => {
    const store = useAttachmentsStore();
    const size = ATTACHMENT_UPLOAD_SLICE * 2 + 1000;
    await store.addFiles('u:2', [new File([new Uint8Array(size).fill(7)], 'a.pdf', { type: 'application/pdf' })]);
    expect(appended.map((a) => [a.offset, a.bytes])).toEqual([[0, ATTACHMENT_UPLOAD_SLICE], [ATTACHMENT_UPLOAD_SLICE, ATTACHMENT_UPLOAD_SLICE], [ATTACHMENT_UPLOAD_SLICE * 2, 1000]]);
    // Each call's base64 stays under the web shell's 256 KiB message.
    expect(Math.ceil(ATTACHMENT_UPLOAD_SLICE / 3) * 4 + 200).toBeLessThan(256 * 1024);
    expect(store.draftsOf('u:2').map((d) => [d.name, d.state, d.sent])).toEqual([['a.pdf', 'ready', size]]);
    const files = store.take('u:2');
    expect(store.draftsOf('u:2')).toEqual([]);
    useMessagesStore().queue({ key: 'u:2', text: 'the report', mentions: [], picked: new Map(), replyTo: null, files });
    await flush();
    expect(env.fake.calls.sendMessage.mock.calls[0]![0]).toEqual({ key: 'u:2', text: 'the report', attachments: ['stage-a_pdf'] });
    expect(store.outgoingOf('u:2')).toEqual([]);
  });

  it('a file over the server limit, an empty file and one too many are refused before any byte moves', async () => {
    const store = useAttachmentsStore();
    await store.addFiles('u:2', [
      new File([new Uint8Array(1024 * 1024 + 1)], 'big.bin'),
      new File([], 'empty.txt'),
      new File(['x'], 'one.txt'),
      new File(['y'], 'two.txt'),
      new File(['z'], 'three.txt'),
    ]);
    expect(store.draftsOf('u:2').map((d) => [d.name, d.state, d.error])).toEqual([
      ['big.bin', 'failed', 'FILE_TOO_LARGE'],
      ['empty.txt', 'failed', 'FILE_EMPTY'],
      ['one.txt', 'ready', undefined],
    ]);
    expect(store.lastError).toBe('TOO_MANY_FILES');
    expect(env.fake.calls.beginAttachment.mock.calls.map((c) => (c[0] as { name: string }).name)).toEqual(['one.txt']);
    // Failed files are not sent; removing one discards it in the core.
    const one = store.draftsOf('u:2')[2]!;
    store.removeDraft('u:2', one.id);
    expect(env.fake.calls.discardAttachment.mock.calls[0]![0]).toEqual({ stagingId: 'stage-one_txt' });
    expect(store.take('u:2')).toBeNull();
    expect(store.draftsOf('u:2')).toEqual([]);
  });

  it('a message whose file fails while being handed over is not sent: the file, with its error, and the text come back', async () => {
    env.fake.calls.appendAttachment.mockImplementation(() => Promise.reject(Object.assign(new Error('disk'), { code: 'FILE_UNREADABLE' })));
    useConversationsStore().apply([conv({ key: 'u:2' })]);
    const store = useAttachmentsStore();
    const adding = store.addFiles('u:2', [new File(['abc'], 'a.pdf', { type: 'application/pdf' })]);
    await flush();
    const files = store.take('u:2');
    expect(store.draftsOf('u:2')).toEqual([]);
    useMessagesStore().queue({ key: 'u:2', text: 'the report', mentions: [], picked: new Map(), replyTo: null, files });
    await adding;
    await flush();
    expect(env.fake.calls.sendMessage).not.toHaveBeenCalled();
    expect(store.draftsOf('u:2').map((d) => [d.name, d.state, d.error])).toEqual([['a.pdf', 'failed', 'FILE_UNREADABLE']]);
    expect(store.outgoingOf('u:2')).toEqual([]);
    expect(useConversationsStore().byKey.get('u:2')!.draft).toBe('the report');
    expect(useMessagesStore().lastError).toBe('FILE_UNREADABLE');
  });

  it('keeps the latest progress of each transfer and forgets finished ones', () => {
    const store = useAttachmentsStore();
    store.bind();
    const p = { messageId: 'm1', index: 0, direction: 'upload' as const, part: 'file' as const, bytes: 10, total: 100, state: 'running' as const };
    env.fake.emit('transferProgress', p);
    env.fake.emit('transferProgress', { ...p, part: 'thumbnail', bytes: 99 });
    expect(store.transferOf('m1', 0)?.bytes).toBe(10);
    env.fake.emit('transferProgress', { ...p, bytes: 100, state: 'done' });
    expect(store.transferOf('m1', 0)).toBeUndefined();
  });
});

describe('a file card', () => {
  it('a download waiting to go on says why; a failed one says so and offers Retry, which downloads again', async () => {
    const env = setupEnv({ downloadAttachment: () => undefined });
    const store = useAttachmentsStore();
    store.bind();
    const attachment = { index: 0, kind: 'file' as const, name: 'report.pdf', mime: 'application/pdf', size: 2048, hasThumbnail: false, downloaded: false };
    const card = mountWith(env, MessageAttachmentFile, { props: { message: { id: 'm1', status: 'sent' as const }, attachment } });
    expect(card.get('[data-test="attachment-download"]').text()).toBe('Download');
    expect(card.find('[data-test="attachment-failed"]').exists()).toBe(false);

    const p = { messageId: 'm1', index: 0, direction: 'download' as const, part: 'file' as const, bytes: 512, total: 2100, state: 'running' as const };
    env.fake.emit('transferProgress', p);
    await flush();
    expect(card.find('[data-test="attachment-download"]').exists()).toBe(false);
    expect(card.find('[data-test="transfer"]').exists()).toBe(true);

    // Cut and waiting to go on: it says why, no failure, no Retry yet.
    env.fake.emit('transferProgress', { ...p, state: 'queued', error: { code: 'OFFLINE', message: 'x' } });
    await flush();
    expect(card.get('[data-test="transfer-waiting"]').text()).toBe('Waiting for the connection…');
    expect(card.find('[data-test="attachment-failed"]').exists()).toBe(false);
    expect(card.find('[data-test="attachment-download"]').exists()).toBe(false);
    env.fake.emit('transferProgress', { ...p, state: 'queued', error: { code: 'UNAVAILABLE', message: 'x' } });
    await flush();
    expect(card.get('[data-test="transfer-waiting"]').text()).toBe('The server is not answering, trying again…');
    expect(card.find('[data-test="transfer-cancel"]').exists()).toBe(true);

    env.fake.emit('transferProgress', { ...p, state: 'failed', error: { code: 'UNAVAILABLE', message: 'x' } });
    await flush();
    expect(card.get('[data-test="attachment-failed"]').text()).toBe('Could not load');
    expect(card.get('[data-test="attachment-size"]').text()).toBe('2.0 KB');
    expect(card.get('[data-test="attachment-download"]').text()).toBe('Retry');
    await card.get('[data-test="attachment-download"]').trigger('click');
    expect(env.fake.calls.downloadAttachment.mock.calls[0]![0]).toEqual({ messageId: 'm1', index: 0 });
  });
});

describe('attachment labels', () => {
  const t = (key: string, values: Record<string, unknown> = {}) => {
    const template = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], en) as string;
    return template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k]));
  };
  it('says [Photo] / [File] name, with counts and the caption', () => {
    const s = (over: Partial<AttachmentSummary>): AttachmentSummary => ({ kind: 'image', name: 'a.png', count: 1, ...over });
    expect(attachmentLabel(t, s({}))).toBe('[Photo]');
    expect(attachmentLabel(t, s({ count: 3 }))).toBe('[3 photos]');
    expect(attachmentLabel(t, s({ kind: 'file', name: '报告.pdf' }))).toBe('[File] 报告.pdf');
    expect(withCaption(attachmentLabel(t, s({})), 'look')).toBe('[Photo] look');
    expect(withCaption(attachmentLabel(t, s({ kind: 'file', name: 'x.zip', count: 2 })), '')).toBe('[2 files] x.zip');
  });
});
