/**
 * Files in messages: the composer's chosen files (handed to the core a
 * slice at a time, encrypted there as they arrive), transfer progress, and
 * the decrypted bytes the UI shows (object URLs, a bounded number kept).
 * The renderer never sees keys or paths: it names a file by (message id,
 * index), and the core checks, decrypts and answers.
 */
import { defineStore } from 'pinia';
import { ref, shallowReactive } from 'vue';
import type { AttachmentLimits, AttachmentView, ConversationKey, MediaCacheUsage, MediaItem, Page, StagedAttachment, TransferPart, TransferProgress } from '../../shared/ipc';
import { ATTACHMENT_READ_SLICE, ATTACHMENT_UPLOAD_SLICE } from '../../shared/ipc/methods';
import { useApi } from '../api';
import { base64ToBytes, blobToBase64 } from '../attachments/bytes';
import { makeThumbnail } from '../attachments/thumbnail';
import { errorCode } from '../i18n/errors';
import { useSettingsStore } from './settings';

/** The files of one message being sent (see `take`). */
export interface OutgoingFiles {
  /** Their staging ids once every one is in the core; rejects with the code of one that failed. */
  staged(): Promise<string[]>;
  /** Their message went (`sent`), or was not sent and they go back to the composer. */
  settle(sent: boolean): void;
}

export interface DraftFile {
  /** Local id (the composer's list key). */
  id: number;
  name: string;
  size: number;
  /** The picked file looks like a picture (for the preview before the core has checked it). */
  image: boolean;
  /** An object URL of the picked file, for the composer's preview of a picture. */
  previewUrl?: string;
  state: 'staging' | 'ready' | 'failed';
  /** Bytes handed to the core so far. */
  sent: number;
  staged?: StagedAttachment;
  /** Error code (FILE_TOO_LARGE, FILE_EMPTY, ...). */
  error?: string;
}

/** A picture the viewer can show: which message, which of its files. */
export interface ViewerItem {
  messageId: string;
  attachment: AttachmentView;
}

/** Decrypted files kept as object URLs at once (the oldest are released). */
const MAX_URLS = 120;

export function transferKey(messageId: string, index: number): string {
  return `${messageId}/${index}`;
}

export const useAttachmentsStore = defineStore('attachments', () => {
  const limits = ref<AttachmentLimits | null>(null);
  const drafts = shallowReactive(new Map<ConversationKey, DraftFile[]>());
  /**
   * Files a send took from the composer that the core does not have whole yet
   * (still being handed over): the composer shows them, with their progress,
   * until their message goes.
   */
  const outgoing = shallowReactive(new Map<ConversationKey, DraftFile[]>());
  /** Per draft id: settles once its hand-over ended (ready or failed). */
  const settled = new Map<number, Promise<void>>();
  /** Latest progress per (message, index): uploads and downloads of the file (thumbnail fetches are not shown). */
  const transfers = shallowReactive(new Map<string, TransferProgress>());
  const lastError = ref<string | null>(null);
  /**
   * The picture open in the viewer; `list`: the pictures it steps through
   * (oldest first), when opened from the media list (else the conversation's
   * loaded messages).
   */
  const viewer = ref<{ key: ConversationKey; messageId: string; index: number; list?: ViewerItem[] } | null>(null);
  /** Files downloaded since their view was read (the media list's items do not follow messagesChanged). */
  const downloadedNow = shallowReactive(new Set<string>());
  const urls = new Map<string, Promise<Loaded | null>>();
  const cancelled = new Set<number>();
  let nextId = 1;
  /** One file is handed over at a time (memory stays at a slice). */
  let queue: Promise<unknown> = Promise.resolve();

  async function loadLimits(): Promise<AttachmentLimits> {
    if (!limits.value) limits.value = await useApi().getAttachmentLimits({});
    return limits.value;
  }

  function draftsOf(key: ConversationKey): DraftFile[] {
    return drafts.get(key) ?? [];
  }

  /** Changes a file in the composer, or one a send took that is still being handed over. */
  function update(key: ConversationKey, id: number, change: Partial<DraftFile>): void {
    for (const map of [drafts, outgoing]) {
      const list = map.get(key);
      if (list?.some((d) => d.id === id)) map.set(key, list.map((d) => (d.id === id ? { ...d, ...change } : d)));
    }
  }

  /** Adds picked, dropped or pasted files to the composer; each is checked against the server's limits before any byte moves. */
  async function addFiles(key: ConversationKey, files: readonly File[]): Promise<void> {
    lastError.value = null;
    const lim = await loadLimits().catch(() => null);
    const list = draftsOf(key).slice();
    for (const file of files) {
      if (lim && list.length >= lim.maxPerMessage) {
        lastError.value = 'TOO_MANY_FILES';
        break;
      }
      const image = file.type.startsWith('image/');
      const draft: DraftFile = { id: nextId++, name: file.name || 'image.png', size: file.size, image, state: 'staging', sent: 0 };
      if (file.size === 0) Object.assign(draft, { state: 'failed', error: 'FILE_EMPTY' });
      else if (lim && lim.maxFileBytes > 0 && file.size > lim.maxFileBytes) Object.assign(draft, { state: 'failed', error: 'FILE_TOO_LARGE' });
      else if (lim && lim.maxFileBytes === 0) Object.assign(draft, { state: 'failed', error: 'UNSUPPORTED' });
      if (image && draft.state !== 'failed') draft.previewUrl = URL.createObjectURL(file);
      list.push(draft);
      if (draft.state === 'staging') {
        const done = queue.then(() => stage(key, draft.id, file)).catch(() => undefined);
        settled.set(draft.id, done);
        queue = done;
      }
    }
    drafts.set(key, list);
    await queue;
  }

  async function stage(key: ConversationKey, id: number, file: File): Promise<void> {
    const api = useApi();
    if (cancelled.has(id)) return;
    let stagingId: string | undefined;
    try {
      stagingId = (await api.beginAttachment({ name: file.name || 'image.png', size: file.size })).stagingId;
      for (let offset = 0; offset < file.size; offset += ATTACHMENT_UPLOAD_SLICE) {
        if (cancelled.has(id)) throw Object.assign(new Error('cancelled'), { code: 'CANCELLED' });
        const data = await blobToBase64(file.slice(offset, offset + ATTACHMENT_UPLOAD_SLICE));
        await api.appendAttachment({ stagingId, offset, data });
        update(key, id, { sent: Math.min(file.size, offset + ATTACHMENT_UPLOAD_SLICE) });
      }
      let staged = await api.finishAttachment({ stagingId });
      // Only what the core found to be a picture under the pixel limit is decoded here.
      if (staged.decodable && staged.width && staged.height) {
        try {
          const thumb = await makeThumbnail(file, staged.width, staged.height);
          staged = await api.setAttachmentThumbnail({ stagingId, ...thumb });
        } catch {
          // A picture the browser cannot decode goes without a thumbnail (the receiver shows its card).
        }
      }
      if (cancelled.has(id)) throw Object.assign(new Error('cancelled'), { code: 'CANCELLED' });
      update(key, id, { state: 'ready', staged });
    } catch (err) {
      if (stagingId) void api.discardAttachment({ stagingId }).catch(() => undefined);
      if (!cancelled.has(id)) update(key, id, { state: 'failed', error: errorCode(err) });
    }
  }

  function removeDraft(key: ConversationKey, id: number): void {
    const d = draftsOf(key).find((x) => x.id === id);
    if (!d) return;
    cancelled.add(id);
    forget(d);
    if (d.staged) void useApi().discardAttachment({ stagingId: d.staged.stagingId }).catch(() => undefined);
    drafts.set(key, draftsOf(key).filter((x) => x.id !== id));
  }

  /**
   * Takes the composer's files for a message being sent: the list empties at
   * once (files that failed their checks are dropped), and the message waits
   * in its turn for files still being handed over. Null when there are none.
   */
  function take(key: ConversationKey): OutgoingFiles | null {
    const list = draftsOf(key);
    const taken = list.filter((d) => d.state !== 'failed');
    for (const d of list) if (d.state === 'failed') forget(d);
    drafts.delete(key);
    if (taken.length === 0) return null;
    const ids = new Set(taken.map((d) => d.id));
    outgoing.set(key, [...(outgoing.get(key) ?? []), ...taken]);
    const mine = (): DraftFile[] => (outgoing.get(key) ?? []).filter((d) => ids.has(d.id));
    const release = (): DraftFile[] => {
      const files = mine();
      const rest = (outgoing.get(key) ?? []).filter((d) => !ids.has(d.id));
      if (rest.length > 0) outgoing.set(key, rest);
      else outgoing.delete(key);
      return files;
    };
    return {
      async staged() {
        await Promise.all([...ids].map((id) => settled.get(id)));
        const files = mine();
        const failed = files.find((d) => d.state !== 'ready' || !d.staged);
        if (failed) throw Object.assign(new Error('a file could not be prepared'), { code: failed.error ?? 'FILE_UNREADABLE' });
        return files.map((d) => d.staged!.stagingId);
      },
      settle(sent) {
        const files = release();
        if (sent) files.forEach(forget);
        // Not sent: back in the composer, ahead of files picked since (a failed one shows why).
        else drafts.set(key, [...files, ...draftsOf(key)]);
      },
    };
  }

  /** Frees what the composer held for a file (its preview, its hand-over's promise). */
  function forget(d: DraftFile): void {
    if (d.previewUrl) URL.revokeObjectURL(d.previewUrl);
    settled.delete(d.id);
  }

  /** Files a send took that are still being handed to the core (shown in the composer until their message goes). */
  function outgoingOf(key: ConversationKey): DraftFile[] {
    return (outgoing.get(key) ?? []).filter((d) => d.state === 'staging');
  }

  // ------------------------------------------------------------ transfers

  function onProgress(p: TransferProgress): void {
    if (p.part !== 'file') return;
    const k = transferKey(p.messageId, p.index);
    if (p.state === 'done') {
      transfers.delete(k);
      if (p.direction === 'download') {
        urls.delete(`${k}/file`);
        downloadedNow.add(k);
      }
    } else transfers.set(k, p);
  }

  function transferOf(messageId: string, index: number): TransferProgress | undefined {
    return transfers.get(transferKey(messageId, index));
  }

  async function download(messageId: string, index: number): Promise<void> {
    lastError.value = null;
    try {
      await useApi().downloadAttachment({ messageId, index });
    } catch (err) {
      const code = errorCode(err);
      if (code !== 'CANCELLED') lastError.value = code;
    }
  }

  async function cancel(messageId: string, index: number): Promise<void> {
    await useApi().cancelTransfer({ messageId, index }).catch(() => undefined);
  }

  // ------------------------------------------------------------ bytes for the UI

  interface Loaded {
    url: string;
    mime: string;
    displayable: boolean;
  }

  /** The decrypted file (or thumbnail) as one Blob, read a slice at a time (downloaded first if needed). */
  async function readAll(messageId: string, index: number, part: TransferPart): Promise<{ blob: Blob; mime: string; displayable: boolean }> {
    const api = useApi();
    const parts: Uint8Array<ArrayBuffer>[] = [];
    let offset = 0;
    let first = await api.readAttachment({ messageId, index, part, offset: 0, length: ATTACHMENT_READ_SLICE });
    const { size, mime, displayable } = first;
    for (;;) {
      const bytes = base64ToBytes(first.data);
      parts.push(bytes);
      offset += bytes.length;
      if (offset >= size || bytes.length === 0) break;
      first = await api.readAttachment({ messageId, index, part, offset, length: ATTACHMENT_READ_SLICE });
    }
    return { blob: new Blob(parts, { type: mime }), mime, displayable };
  }

  /** An object URL of a picture (thumbnail or full), or null when it cannot be shown inline. Cached, a bounded number. */
  function pictureUrl(messageId: string, index: number, part: TransferPart): Promise<Loaded | null> {
    const k = `${transferKey(messageId, index)}/${part}`;
    let p = urls.get(k);
    if (!p) {
      p = readAll(messageId, index, part).then(
        (r) => (r.displayable ? { url: URL.createObjectURL(r.blob), mime: r.mime, displayable: true } : null),
        (err) => {
          urls.delete(k);
          throw err;
        },
      );
      urls.set(k, p);
      if (urls.size > MAX_URLS) {
        const [oldest, loaded] = urls.entries().next().value!;
        urls.delete(oldest);
        void loaded.then((l) => l && URL.revokeObjectURL(l.url)).catch(() => undefined);
      }
    } else {
      // Used again: to the back of the line.
      urls.delete(k);
      urls.set(k, p);
    }
    return p;
  }

  /** Images up to the auto-download size are fetched in full as soon as they are shown. */
  function autoDownloads(a: AttachmentView): boolean {
    return a.kind === 'image' && !a.downloaded && a.size <= useSettingsStore().settings.media.autoDownloadMiB * 1024 * 1024;
  }

  // ------------------------------------------------------------ save, open, show

  function desktop(): boolean {
    return useSettingsStore().appInfo?.shell === 'electron';
  }

  async function saveAs(messageId: string, index: number, name: string): Promise<void> {
    lastError.value = null;
    try {
      if (desktop()) {
        await useApi().saveAttachmentAs({ messageId, index });
        return;
      }
      // The browser: the file is handed over as a download.
      const { blob } = await readAll(messageId, index, 'file');
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
    } catch (err) {
      lastError.value = errorCode(err);
    }
  }

  async function open(messageId: string, index: number): Promise<void> {
    lastError.value = null;
    await useApi().openAttachment({ messageId, index }).catch((err: unknown) => { lastError.value = errorCode(err); });
  }

  async function showInFolder(messageId: string, index: number): Promise<void> {
    lastError.value = null;
    await useApi().showAttachmentInFolder({ messageId, index }).catch((err: unknown) => { lastError.value = errorCode(err); });
  }

  function view(key: ConversationKey, messageId: string, index: number, list?: ViewerItem[]): void {
    viewer.value = { key, messageId, index, ...(list ? { list } : {}) };
  }

  /** Whether the file is on this device now (its view, or a download finished since). */
  function isDownloaded(messageId: string, a: AttachmentView): boolean {
    return a.downloaded || downloadedNow.has(transferKey(messageId, a.index));
  }

  /** A page of a conversation's pictures (`media`) or other files, newest first. */
  function listMedia(key: ConversationKey, kind: 'media' | 'files', cursor?: string): Promise<Page<MediaItem>> {
    return useApi().listMedia({ key, kind, limit: 60, ...(cursor ? { cursor } : {}) });
  }

  function closeViewer(): void {
    viewer.value = null;
  }

  // ------------------------------------------------------------ the cache (Settings → Files and storage)

  const cacheUsage = ref<MediaCacheUsage | null>(null);

  async function loadCacheUsage(): Promise<MediaCacheUsage> {
    cacheUsage.value = await useApi().getMediaCache({});
    return cacheUsage.value;
  }

  /** Empties the cache of downloaded files; resolves with the bytes freed. */
  async function clearCache(): Promise<number> {
    const { freedBytes } = await useApi().clearMediaCache({});
    downloadedNow.clear();
    // Pictures on screen keep their object URLs; what the cache dropped downloads again when next asked for.
    await loadCacheUsage();
    return freedBytes;
  }

  function bind(): () => void {
    const api = useApi();
    const off = api.onTransferProgress(onProgress);
    void api.listTransfers({}).then((list) => list.forEach(onProgress), () => undefined);
    return off;
  }

  function reset(): void {
    for (const map of [drafts, outgoing]) for (const list of map.values()) for (const d of list) if (d.previewUrl) URL.revokeObjectURL(d.previewUrl);
    drafts.clear();
    outgoing.clear();
    settled.clear();
    transfers.clear();
    for (const p of urls.values()) void p.then((l) => l && URL.revokeObjectURL(l.url)).catch(() => undefined);
    urls.clear();
    limits.value = null;
    viewer.value = null;
    cacheUsage.value = null;
    downloadedNow.clear();
  }

  return {
    limits, drafts, transfers, lastError, viewer, view, closeViewer, loadLimits, draftsOf, outgoingOf, addFiles, removeDraft, take, transferOf, download, cancel,
    readAll, pictureUrl, autoDownloads, desktop, saveAs, open, showInFolder, bind, reset, cacheUsage, loadCacheUsage, clearCache,
    isDownloaded, listMedia,
  };
});
