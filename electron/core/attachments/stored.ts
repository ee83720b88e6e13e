/**
 * A message's files as the cache keeps them (messages.attachments, JSON),
 * and the conversions around it: from the wire (an incoming message, checked
 * and sanitised: every field is the sender's word), to the wire (sending),
 * and to the UI's view (keys and digests stay in the core).
 */
import type { AttachmentMeta, AttachmentSummary, AttachmentView } from '../../../shared/ipc';
import { FILE_KEY_SIZE, cipherSize, isBlobDigest } from '../../../shared/attachments/format';
import { THUMBHASH_MAX_BYTES, THUMBNAIL_MAX_BYTES, UNKNOWN_MIME, isInlineImageType } from '../../../shared/attachments/media';
import { sanitizeFileName } from '../../../shared/attachments/names';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { AttachmentSchema } from '../../../shared/protocol';
import { attachmentKind, big, num, type WireAttachment } from '../wire';
import { summarize } from '../../../shared/attachments/summary';

/** An encrypted blob: where it is (digest), how long, and its key (base64). */
export interface StoredBlobRef {
  digest: string;
  cipherSize: number;
  key: string;
}

export interface StoredAttachment extends AttachmentMeta {
  blob: StoredBlobRef;
  thumbnail?: StoredBlobRef;
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;

/** A media type as sent, lower-cased and without parameters, or octet-stream when it is not one. */
export function cleanMime(mime: string): string {
  const bare = mime.split(';')[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(bare) ? bare : UNKNOWN_MIME;
}

function blobRefFromWire(ref: { digest: string; cipherSize: number | bigint; key: Uint8Array } | undefined, maxPlain: number): StoredBlobRef | undefined {
  if (!ref || !isBlobDigest(ref.digest) || ref.key.length !== FILE_KEY_SIZE) return undefined;
  const size = num(ref.cipherSize);
  if (!Number.isSafeInteger(size) || size > cipherSize(maxPlain)) return undefined;
  return { digest: ref.digest, cipherSize: size, key: Buffer.from(ref.key).toString('base64') };
}

function dimension(value: number): number | undefined {
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * An attachment of an incoming message, checked: the blob reference must be
 * usable (digest, 32-byte key, a ciphertext size that fits the plaintext
 * size), else the attachment is dropped (nothing could fetch or open it).
 * The name is sanitised again, the type cleaned, and `image` kept only for
 * types shown inline (the receiver re-checks the real bytes before decoding).
 */
export function storedFromWire(a: WireAttachment): StoredAttachment | undefined {
  const size = num(a.size);
  if (!Number.isSafeInteger(size) || size < 0) return undefined;
  const blob = blobRefFromWire(a.blob, size);
  if (!blob || blob.cipherSize !== cipherSize(size)) return undefined;
  const mime = cleanMime(a.mime);
  const kind = attachmentKind.fromWire(a.kind) === 'image' && isInlineImageType(mime) ? 'image' : 'file';
  const stored: StoredAttachment = { kind, name: sanitizeFileName(a.name), mime, size, blob };
  if (kind === 'image') {
    const width = dimension(a.width);
    const height = dimension(a.height);
    if (width && height) {
      stored.width = width;
      stored.height = height;
    }
    if (a.thumbhash.length > 0 && a.thumbhash.length <= THUMBHASH_MAX_BYTES) stored.thumbhash = Buffer.from(a.thumbhash).toString('base64');
    const thumbnail = blobRefFromWire(a.thumbnail, THUMBNAIL_MAX_BYTES);
    if (thumbnail) stored.thumbnail = thumbnail;
  }
  return stored;
}

/** The wire form of a stored attachment (MESSAGE_SEND). */
export function wireFromStored(a: StoredAttachment): MessageInitShape<typeof AttachmentSchema> {
  const ref = (r: StoredBlobRef) => ({ digest: r.digest, cipherSize: big(r.cipherSize), key: new Uint8Array(Buffer.from(r.key, 'base64')) });
  return {
    kind: attachmentKind.toWire(a.kind),
    blob: ref(a.blob),
    size: big(a.size),
    name: a.name,
    mime: a.mime,
    width: a.width ?? 0,
    height: a.height ?? 0,
    thumbhash: a.thumbhash ? new Uint8Array(Buffer.from(a.thumbhash, 'base64')) : new Uint8Array(0),
    ...(a.thumbnail ? { thumbnail: ref(a.thumbnail) } : {}),
  };
}

/** Every blob of the attachments (files and thumbnails), in order. */
export function blobsOf(list: readonly StoredAttachment[]): StoredBlobRef[] {
  return list.flatMap((a) => (a.thumbnail ? [a.blob, a.thumbnail] : [a.blob]));
}

function isBlobRef(v: unknown): v is StoredBlobRef {
  const r = v as StoredBlobRef | null;
  return typeof r === 'object' && r !== null && typeof r.digest === 'string' && typeof r.key === 'string' && Number.isSafeInteger(r.cipherSize);
}

function isStored(v: unknown): v is StoredAttachment {
  const a = v as StoredAttachment | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    (a.kind === 'image' || a.kind === 'file') &&
    typeof a.name === 'string' &&
    typeof a.mime === 'string' &&
    Number.isSafeInteger(a.size) &&
    isBlobRef(a.blob) &&
    (a.thumbnail === undefined || isBlobRef(a.thumbnail))
  );
}

/** The attachments column (or an outbox payload's list), tolerating anything malformed as "no files". */
export function parseStored(json: unknown): StoredAttachment[] {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch {
      return [];
    }
  }
  return Array.isArray(value) ? value.filter(isStored) : [];
}

/** For the messages.attachments column: NULL when there are none. */
export function storedColumn(list: readonly StoredAttachment[] | undefined): string | null {
  return list && list.length > 0 ? JSON.stringify(list) : null;
}

/** The UI's view of one attachment; `local` holds the digests of files complete on this device. */
export function viewFromStored(a: StoredAttachment, index: number, local: ReadonlySet<string>): AttachmentView {
  const view: AttachmentView = {
    index,
    kind: a.kind,
    name: a.name,
    mime: a.mime,
    size: a.size,
    hasThumbnail: a.thumbnail !== undefined,
    downloaded: local.has(a.blob.digest),
  };
  if (a.width && a.height) {
    view.width = a.width;
    view.height = a.height;
  }
  if (a.thumbhash) view.thumbhash = a.thumbhash;
  return view;
}

/** One line's worth of a message's files: "[Photo]", "[File] name" (the UI words it). */
export function summaryOf(list: readonly StoredAttachment[]): AttachmentSummary | undefined {
  return summarize(list);
}

/** What the search index holds for a message: its text and its files' names (so a file is found by name). */
export function searchableText(text: string, list: readonly StoredAttachment[]): string {
  return list.length === 0 ? text : [text, ...list.map((a) => a.name)].filter((s) => s !== '').join('\n');
}
