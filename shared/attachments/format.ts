/**
 * The encrypted file format of attachments ("Tern file encryption v1"), the
 * parts that need no crypto: header layout, chunk nonces, sizes and the
 * mapping between plaintext and ciphertext offsets. The cipher itself is in
 * `shared/node/attachments/file-cipher.ts`; docs/PROTOCOL.md §13 specifies the
 * format for other implementations, and `tests/fixtures/file-encryption/`
 * holds test vectors.
 *
 *   ciphertext = header(32) || chunk_0 || chunk_1 || ... || chunk_{n-1}
 *   header     = "TERNFILE" | version 1 | suite 1 | log2(chunk size) | 5 zero bytes | salt(16)
 *   chunk_i    = AES-256-GCM(key = HKDF-SHA256(file key, salt, INFO), nonce_i, aad = header, plaintext_i) || tag(16)
 *   nonce_i    = i as 11-byte big-endian || (0x01 for the last chunk, else 0x00)
 *
 * This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015,
 * as used by age and Tink): each chunk authenticates its position and whether
 * it ends the file, so a reordered, dropped, duplicated or truncated chunk, or
 * bytes appended after the last one, fail to decrypt; and each chunk can be
 * verified on its own (ranged downloads, streaming without holding the file).
 */

export const FILE_MAGIC = new Uint8Array([0x54, 0x45, 0x52, 0x4e, 0x46, 0x49, 0x4c, 0x45]); // "TERNFILE"
export const FILE_FORMAT_VERSION = 1;
/** Suite 1: AES-256-GCM with HKDF-SHA256 key derivation. */
export const FILE_SUITE_AES256GCM_HKDF_SHA256 = 1;
export const FILE_HEADER_SIZE = 32;
export const FILE_SALT_SIZE = 16;
export const FILE_KEY_SIZE = 32;
export const FILE_TAG_SIZE = 16;
export const FILE_NONCE_SIZE = 12;
/** log2 of the plaintext chunk size: 2^16 = 64 KiB. Readers accept 12..24 (4 KiB..16 MiB). */
export const FILE_CHUNK_LOG2 = 16;
export const FILE_CHUNK_SIZE = 1 << FILE_CHUNK_LOG2;
/** HKDF info string (ASCII). */
export const FILE_KDF_INFO = 'tern file encryption v1';

/** Why a ciphertext was refused. Nothing of a refused chunk may be shown. */
export type FileFormatErrorCode =
  | 'bad-header' // not a Tern file, unknown version or suite, bad chunk size
  | 'truncated' // the stream ended before the last chunk
  | 'tampered' // a chunk failed authentication (altered, reordered, wrong key)
  | 'trailing-data' // bytes after the last chunk
  | 'size-mismatch' // the ciphertext is not as long as the message says
  | 'digest-mismatch'; // the ciphertext's SHA-256 is not the one the message names

export class FileFormatError extends Error {
  constructor(
    readonly code: FileFormatErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FileFormatError';
  }
}

export interface FileHeader {
  version: number;
  suite: number;
  chunkLog2: number;
  salt: Uint8Array;
}

export function encodeHeader(salt: Uint8Array, chunkLog2 = FILE_CHUNK_LOG2): Uint8Array {
  if (salt.length !== FILE_SALT_SIZE) throw new RangeError(`salt must be ${FILE_SALT_SIZE} bytes`);
  checkChunkLog2(chunkLog2);
  const header = new Uint8Array(FILE_HEADER_SIZE);
  header.set(FILE_MAGIC, 0);
  header[8] = FILE_FORMAT_VERSION;
  header[9] = FILE_SUITE_AES256GCM_HKDF_SHA256;
  header[10] = chunkLog2;
  header.set(salt, 16);
  return header;
}

export function decodeHeader(bytes: Uint8Array): FileHeader {
  if (bytes.length < FILE_HEADER_SIZE) throw new FileFormatError('truncated', 'ciphertext shorter than its header');
  for (let i = 0; i < FILE_MAGIC.length; i++) {
    if (bytes[i] !== FILE_MAGIC[i]) throw new FileFormatError('bad-header', 'not a Tern encrypted file');
  }
  const version = bytes[8]!;
  const suite = bytes[9]!;
  const chunkLog2 = bytes[10]!;
  if (version !== FILE_FORMAT_VERSION) throw new FileFormatError('bad-header', `unsupported file format version ${version}`);
  if (suite !== FILE_SUITE_AES256GCM_HKDF_SHA256) throw new FileFormatError('bad-header', `unsupported cipher suite ${suite}`);
  if (chunkLog2 < 12 || chunkLog2 > 24) throw new FileFormatError('bad-header', `chunk size 2^${chunkLog2} out of range`);
  for (let i = 11; i < 16; i++) {
    if (bytes[i] !== 0) throw new FileFormatError('bad-header', 'reserved header bytes are not zero');
  }
  return { version, suite, chunkLog2, salt: bytes.slice(16, FILE_HEADER_SIZE) };
}

function checkChunkLog2(chunkLog2: number): void {
  if (!Number.isInteger(chunkLog2) || chunkLog2 < 12 || chunkLog2 > 24) throw new RangeError('chunkLog2 must be 12..24');
}

/** The 12-byte nonce of chunk `index`: the index as 11 bytes big-endian, then the last-chunk flag. */
export function chunkNonce(index: number, last: boolean): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('chunk index out of range');
  const nonce = new Uint8Array(FILE_NONCE_SIZE);
  let rest = index;
  for (let i = 10; i >= 0 && rest > 0; i--) {
    nonce[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Chunks a plaintext of `size` bytes makes: at least one (an empty file is one empty last chunk). */
export function chunkCount(plainSize: number, chunkSize = FILE_CHUNK_SIZE): number {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0) throw new RangeError('size out of range');
  return Math.max(1, Math.ceil(plainSize / chunkSize));
}

/** The ciphertext size of a plaintext of `plainSize` bytes. */
export function cipherSize(plainSize: number, chunkSize = FILE_CHUNK_SIZE): number {
  return FILE_HEADER_SIZE + plainSize + chunkCount(plainSize, chunkSize) * FILE_TAG_SIZE;
}

/**
 * The plaintext size of a well-formed ciphertext of `size` bytes, or throws
 * when no plaintext size gives that ciphertext size.
 */
export function plainSizeOf(size: number, chunkSize = FILE_CHUNK_SIZE): number {
  const body = size - FILE_HEADER_SIZE;
  if (!Number.isSafeInteger(size) || body < FILE_TAG_SIZE) throw new FileFormatError('truncated', 'ciphertext too short');
  const full = Math.floor(body / (chunkSize + FILE_TAG_SIZE));
  const rest = body - full * (chunkSize + FILE_TAG_SIZE);
  let plain: number;
  if (rest === 0) plain = full * chunkSize;
  else if (rest > FILE_TAG_SIZE) plain = full * chunkSize + rest - FILE_TAG_SIZE;
  else if (rest === FILE_TAG_SIZE && full === 0) plain = 0;
  else throw new FileFormatError('truncated', 'ciphertext size is not a whole number of chunks');
  if (cipherSize(plain, chunkSize) !== size) throw new FileFormatError('truncated', 'ciphertext size is not a whole number of chunks');
  return plain;
}

/** Where chunk `index` sits in the ciphertext, and how long it is (tag included). */
export function chunkSpan(index: number, plainSize: number, chunkSize = FILE_CHUNK_SIZE): { offset: number; length: number; last: boolean } {
  const count = chunkCount(plainSize, chunkSize);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw new RangeError('chunk index out of range');
  const last = index === count - 1;
  const plainLength = last ? plainSize - index * chunkSize : chunkSize;
  return { offset: FILE_HEADER_SIZE + index * (chunkSize + FILE_TAG_SIZE), length: plainLength + FILE_TAG_SIZE, last };
}

/**
 * The ciphertext byte range (inclusive end, as in an HTTP Range header) that
 * holds the plaintext bytes [start, end], whole chunks, and the first chunk's index.
 */
export function cipherRangeFor(start: number, end: number, plainSize: number, chunkSize = FILE_CHUNK_SIZE): { first: number; start: number; end: number } {
  if (start < 0 || end < start || end >= Math.max(plainSize, 1)) throw new RangeError('plaintext range out of bounds');
  const first = Math.floor(start / chunkSize);
  const lastIndex = Math.min(Math.floor(end / chunkSize), chunkCount(plainSize, chunkSize) - 1);
  const a = chunkSpan(first, plainSize, chunkSize);
  const b = chunkSpan(lastIndex, plainSize, chunkSize);
  return { first, start: a.offset, end: b.offset + b.length - 1 };
}

/** Lower-case hex of bytes (digests, test vectors). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A blob id: the lower-case hex SHA-256 of the ciphertext. */
export const BLOB_DIGEST_PATTERN = /^[0-9a-f]{64}$/;

export function isBlobDigest(value: string): boolean {
  return BLOB_DIGEST_PATTERN.test(value);
}
