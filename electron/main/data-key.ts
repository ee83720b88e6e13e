/**
 * The data key of the Electron app (it encrypts the caches and seals the
 * device tokens: electron/core/data-key.ts) kept in the OS keychain through
 * Electron's safeStorage: DPAPI on Windows, the Keychain on macOS,
 * libsecret or KWallet on Linux. On disk there is only
 * `<dataDir>/data.key.keychain`, the key encrypted by safeStorage; main
 * decrypts it and hands it to the core's thread (workerData, in memory).
 *
 * Where there is no keychain (Linux without a secret service: safeStorage
 * then "encrypts" with a fixed password, backend `basic_text`), the core keeps
 * the key in `<dataDir>/data.key` (0600) as the web shell does: weaker, and
 * said so in the log and the debug report. A key file found once a keychain
 * is there is moved into it.
 *
 * A keychain that will not give the key back (it was reset, the profile was
 * copied to another user or machine, the user refused access, a Linux
 * session started without its keyring) never makes the app discard
 * anything on its own: the user chooses between quitting (try again when
 * the keychain is back) and starting over. Starting over sets the old key's
 * file aside (never deleted), makes a new key, and the core then moves each
 * cache it cannot read aside and rebuilds it from the server; accounts sign
 * in with their password again.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_KEY_BYTES, DATA_KEY_FILE, formatDataKey, parseDataKey, setAsideUnreadable } from '../../shared/node/data-key-file';
import type { CoreThreadConfig } from '../host/core-thread';

export type DataKey = NonNullable<CoreThreadConfig['dataKey']>;

/** The part of Electron's safeStorage this uses (tests pass a small fake). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only (Electron ≥ 15). */
  getSelectedStorageBackend?(): string;
}

export interface KeychainDataKeyOptions {
  /** The core's data directory (`<userData>/data`). */
  dataDir: string;
  safeStorage: SafeStorageLike;
  platform: NodeJS.Platform;
  /**
   * The keychain holds our key but will not give it back: true to start over
   * (new key, local data set aside and rebuilt), false to quit. Main asks the user.
   */
  confirmStartOver(reason: KeyUnavailableReason): boolean;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  now?: () => number;
}

/** Why the key the keychain keeps cannot be had. */
export type KeyUnavailableReason = 'keychain-unavailable' | 'keychain-refused';

/**
 * What the core's thread gets: a key from the keychain, `undefined` (no
 * keychain here: the core uses its key file), or 'quit' (the user would
 * rather wait for the keychain).
 */
export type KeychainResult = { dataKey: DataKey } | { dataKey: undefined } | 'quit';

export const keychainFileName = 'data.key.keychain';

/** Is there a real keychain behind safeStorage (not Linux's fixed-password fallback)? */
export function keychainAvailable(safeStorage: SafeStorageLike, platform: NodeJS.Platform): boolean {
  if (!safeStorage.isEncryptionAvailable()) return false;
  if (platform !== 'linux') return true;
  const backend = safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
  return backend !== 'basic_text' && backend !== 'unknown';
}

export function loadKeychainDataKey(options: KeychainDataKeyOptions): KeychainResult {
  const { dataDir, safeStorage, log } = options;
  const sealedPath = join(dataDir, keychainFileName);
  const keyFilePath = join(dataDir, DATA_KEY_FILE);
  const available = keychainAvailable(safeStorage, options.platform);
  let replaced = false;

  if (existsSync(sealedPath)) {
    const key = available ? unseal(safeStorage, readFileSync(sealedPath)) : null;
    if (key) return { dataKey: { key, protection: 'os-keychain', replaced: false } };
    const reason: KeyUnavailableReason = available ? 'keychain-refused' : 'keychain-unavailable';
    log.warn({ reason }, 'data key: the keychain does not give back the key of the local data');
    if (!options.confirmStartOver(reason)) return 'quit';
    setAsideUnreadable(sealedPath, options.now ?? Date.now);
    // A key file beside it would be older still: it cannot read what the lost key wrote.
    if (existsSync(keyFilePath)) setAsideUnreadable(keyFilePath, options.now ?? Date.now);
    replaced = true;
  }

  // (Starting over without a keychain: the core makes a new key file. Caches and tokens it cannot read are
  // still rebuilt and asked for again; a cache is then reported as unreadable rather than as a lost key.)
  if (!available) {
    log.warn({ platform: options.platform, backend: safeStorage.getSelectedStorageBackend?.() }, 'data key: no OS keychain, the key is kept in a file beside the data (weaker)');
    return { dataKey: undefined };
  }

  // A key file from a run without a keychain: move it into the keychain (its data stays readable).
  const fromFile = existsSync(keyFilePath) ? parseDataKey(readFileSync(keyFilePath, 'utf8')) : null;
  if (!fromFile && existsSync(keyFilePath)) {
    setAsideUnreadable(keyFilePath, options.now ?? Date.now); // damaged: what it protected is unreadable anyway
    replaced = true;
  }
  const key = fromFile ?? new Uint8Array(randomBytes(DATA_KEY_BYTES));
  writeFileSync(sealedPath, safeStorage.encryptString(formatDataKey(key)), { mode: 0o600 });
  if (fromFile) {
    rmSync(keyFilePath);
    log.info({}, 'data key: moved from the key file into the OS keychain');
  }
  return { dataKey: { key, protection: 'os-keychain', replaced } };
}

function unseal(safeStorage: SafeStorageLike, sealed: Buffer): Uint8Array | null {
  try {
    return parseDataKey(safeStorage.decryptString(sealed));
  } catch {
    return null;
  }
}
