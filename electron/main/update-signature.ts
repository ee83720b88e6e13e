/**
 * Release authenticity for auto-updates.
 *
 * electron-updater checks that a downloaded installer matches the sha512 in
 * the feed's `latest*.yml`, but the yml comes from the same host as the
 * installer: whoever controls the host controls both. So each release's yml
 * also carries an Ed25519 signature (field `ternSignature`) over the version
 * and every file's name and sha512, made offline with the release key
 * (`build/release-signing.ts`, docs/RELEASING.md). The app pins the public
 * keys at build time and downloads nothing whose yml is unsigned, signed by
 * another key, or altered after signing. Since the updater then verifies the
 * installer against a signed sha512, the installed bytes are the signed ones.
 *
 * `stagingPercentage` and `releaseDate` are deliberately not signed: a staged
 * rollout is widened by editing the yml, without the release key.
 *
 * Pure functions (no Electron, no I/O): the app, the signing script and the
 * tests share them. Ed25519 comes from @noble/curves (pure JS: it behaves the
 * same under Electron's BoringSSL as under Node's OpenSSL).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** The yml field that holds the signature. */
export const signatureField = 'ternSignature';

const MESSAGE_HEADER = 'tern-update-v1';
const SHA512_B64 = /^[A-Za-z0-9+/]{86}==$/;
/** File names as electron-builder writes them: no whitespace, no control characters. */
const URL_RE = /^[^\s\u0000-\u001f\u007f]{1,512}$/;
const VERSION_RE = /^[0-9A-Za-z.+-]{1,64}$/;

export interface SignedFile {
  url: string;
  sha512: string;
}

export interface ReleaseSignature {
  /** First 8 bytes of SHA-256 of the public key, hex: says which pinned key signed. */
  keyId: string;
  /** Ed25519 signature of `signedMessage`, base64. */
  sig: string;
}

export type Verdict =
  | { ok: true; keyId: string }
  | { ok: false; reason: 'unsigned' | 'malformed' | 'unknown-key' | 'bad-signature' | 'no-keys'; detail: string };

export class MalformedUpdateInfoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedUpdateInfoError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The files a release offers, as electron-updater resolves them: `files`, or
 * the legacy single `path` + `sha512` when `files` is absent or empty.
 * Throws MalformedUpdateInfoError on anything it could not sign unambiguously.
 */
export function releaseFiles(info: unknown): { version: string; files: SignedFile[] } {
  if (!isRecord(info)) throw new MalformedUpdateInfoError('update info is not an object');
  const version = info.version;
  if (typeof version !== 'string' || !VERSION_RE.test(version)) throw new MalformedUpdateInfoError('update info has no valid version');
  const raw = Array.isArray(info.files) && info.files.length > 0 ? info.files : info.path !== undefined ? [{ url: info.path, sha512: info.sha512 }] : [];
  if (raw.length === 0) throw new MalformedUpdateInfoError('update info lists no files');
  const files = raw.map((f: unknown): SignedFile => {
    if (!isRecord(f) || typeof f.url !== 'string' || !URL_RE.test(f.url)) throw new MalformedUpdateInfoError('update info has a file without a valid url');
    if (typeof f.sha512 !== 'string' || !SHA512_B64.test(f.sha512)) throw new MalformedUpdateInfoError(`update info file ${f.url} has no valid sha512`);
    return { url: f.url, sha512: f.sha512 };
  });
  files.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.url === files[i - 1]!.url) throw new MalformedUpdateInfoError(`update info lists ${files[i]!.url} twice`);
  }
  return { version, files };
}

/** The exact bytes signed: one line per fact, files sorted by name. */
export function signedMessage(version: string, files: readonly SignedFile[]): Uint8Array {
  const lines = [MESSAGE_HEADER, `version ${version}`, ...files.map((f) => `file ${f.url} ${f.sha512}`)];
  return new TextEncoder().encode(lines.join('\n'));
}

export function keyId(publicKey: Uint8Array): string {
  return Buffer.from(sha256(publicKey).subarray(0, 8)).toString('hex');
}

/** Public keys as pinned at build time: comma- or whitespace-separated base64 of 32 raw bytes. Throws on a bad key. */
export function parsePublicKeys(raw: string | undefined): Uint8Array[] {
  if (!raw) return [];
  return raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((b64) => {
      const bytes = Buffer.from(b64, 'base64');
      if (bytes.length !== 32 || bytes.toString('base64') !== b64) throw new Error(`not an Ed25519 public key (32 bytes, base64): ${b64.slice(0, 12)}…`);
      return new Uint8Array(bytes);
    });
}

/** Signs a release's update info with a 32-byte Ed25519 secret key (the signing script's half). */
export function signRelease(info: unknown, secretKey: Uint8Array): ReleaseSignature {
  const { version, files } = releaseFiles(info);
  const sig = ed25519.sign(signedMessage(version, files), secretKey);
  return { keyId: keyId(ed25519.getPublicKey(secretKey)), sig: Buffer.from(sig).toString('base64') };
}

/** Checks a release's update info (as parsed from the feed) against the pinned keys. Never throws. */
export function verifyRelease(info: unknown, keys: readonly Uint8Array[]): Verdict {
  if (keys.length === 0) return { ok: false, reason: 'no-keys', detail: 'no update signing key is built into this app' };
  let release: { version: string; files: SignedFile[] };
  try {
    release = releaseFiles(info);
  } catch (error) {
    return { ok: false, reason: 'malformed', detail: (error as Error).message };
  }
  const signature = (info as Record<string, unknown>)[signatureField];
  if (signature === undefined) return { ok: false, reason: 'unsigned', detail: `version ${release.version} is not signed` };
  if (!isRecord(signature) || typeof signature.sig !== 'string' || typeof signature.keyId !== 'string') {
    return { ok: false, reason: 'malformed', detail: `the ${signatureField} field is malformed` };
  }
  const key = keys.find((k) => keyId(k) === signature.keyId);
  if (!key) return { ok: false, reason: 'unknown-key', detail: `version ${release.version} is signed by key ${signature.keyId.slice(0, 16)}, which this app does not trust` };
  const sig = Buffer.from(signature.sig, 'base64');
  let valid = false;
  try {
    valid = sig.length === 64 && ed25519.verify(new Uint8Array(sig), signedMessage(release.version, release.files), key);
  } catch {
    valid = false;
  }
  return valid ? { ok: true, keyId: signature.keyId } : { ok: false, reason: 'bad-signature', detail: `the signature of version ${release.version} does not match its files` };
}
