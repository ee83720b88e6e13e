/**
 * The contract's attachment methods (the composer's staging, downloads,
 * reading bytes back, a conversation's media) and the two host methods the
 * desktop shell uses with paths (staging a file from disk, exporting one).
 */
import type { AttachmentBytes, AttachmentLimits, MediaCacheUsage, MediaItem, Page, StagedAttachment, TransferProgress } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import type { HostMethodArgs, HostMethods } from '../../../shared/ipc/host-methods';
import { MAX_ATTACHMENT_SLICE } from '../../../shared/ipc/methods';
import { CoreError } from '../errors';
import type { SessionSlot } from './session-slot';

type AttachmentMethodName =
  | 'getAttachmentLimits'
  | 'beginAttachment'
  | 'appendAttachment'
  | 'finishAttachment'
  | 'setAttachmentThumbnail'
  | 'discardAttachment'
  | 'downloadAttachment'
  | 'cancelTransfer'
  | 'listTransfers'
  | 'readAttachment'
  | 'listMedia'
  | 'getMediaCache'
  | 'clearMediaCache';

function bytesOf(base64: string): Buffer {
  return Buffer.from(base64, 'base64');
}

export class AttachmentMethods implements Pick<CoreMethods, AttachmentMethodName>, HostMethods {
  constructor(private readonly sessions: SessionSlot) {}

  private get attachments() {
    return this.sessions.account().attachments;
  }

  getAttachmentLimits = async (): Promise<AttachmentLimits> => this.attachments.getLimits();

  beginAttachment = async (args: ParsedArgs<'beginAttachment'>): Promise<{ stagingId: string }> => ({
    stagingId: await this.attachments.staging.begin(args.name, args.size),
  });

  appendAttachment = async (args: ParsedArgs<'appendAttachment'>): Promise<void> => {
    const bytes = bytesOf(args.data);
    if (bytes.length === 0) throw new CoreError('INVALID_ARGUMENT', 'no bytes');
    await this.attachments.staging.append(args.stagingId, args.offset, bytes);
  };

  finishAttachment = async (args: ParsedArgs<'finishAttachment'>): Promise<StagedAttachment> => this.attachments.staging.finish(args.stagingId);

  setAttachmentThumbnail = async (args: ParsedArgs<'setAttachmentThumbnail'>): Promise<StagedAttachment> =>
    this.attachments.staging.setThumbnail(args.stagingId, bytesOf(args.thumbnail), bytesOf(args.thumbhash));

  discardAttachment = async (args: ParsedArgs<'discardAttachment'>): Promise<void> => this.attachments.staging.discard(args.stagingId);

  downloadAttachment = async (args: ParsedArgs<'downloadAttachment'>): Promise<void> => {
    await this.attachments.transfers.download(args.messageId, args.index, args.part ?? 'file');
  };

  cancelTransfer = async (args: ParsedArgs<'cancelTransfer'>): Promise<void> => {
    this.attachments.transfers.cancel(args.messageId, args.index);
  };

  listTransfers = async (): Promise<TransferProgress[]> => this.attachments.transfers.list();

  readAttachment = async (args: ParsedArgs<'readAttachment'>): Promise<AttachmentBytes> =>
    this.attachments.transfers.read(args.messageId, args.index, args.part ?? 'file', args.offset ?? 0, args.length ?? MAX_ATTACHMENT_SLICE);

  listMedia = async (args: ParsedArgs<'listMedia'>): Promise<Page<MediaItem>> =>
    this.sessions.account().cache.messages.listMedia(args.key, args.kind, args.limit ?? 60, args.cursor);

  getMediaCache = async (): Promise<MediaCacheUsage> => this.attachments.transfers.cacheUsage();

  clearMediaCache = async (): Promise<{ freedBytes: number }> => ({ freedBytes: await this.attachments.transfers.enforceCacheLimit(0) });

  // Host methods (the desktop shell; paths never come from a page).

  stageAttachmentFile = async (args: HostMethodArgs<'stageAttachmentFile'>): Promise<StagedAttachment> => this.attachments.staging.stageFile(args.path);

  exportAttachment = async (args: HostMethodArgs<'exportAttachment'>): Promise<{ path: string }> => ({
    path: await this.attachments.transfers.export(args.messageId, args.index, args.file ? { file: args.file } : { dir: args.dir! }),
  });
}
