/**
 * The Electron app's data key in the OS keychain (electron/main/data-key.ts),
 * with a small fake of Electron's safeStorage: a new key sealed and read back,
 * a key file moved into the keychain, Linux without a secret service left to
 * the key file, and a keychain that will not give the key back: the user
 * quits (nothing touched) or starts over (old key set aside, never deleted).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keychainAvailable, keychainFileName, loadKeychainDataKey, type KeychainDataKeyOptions, type KeyUnavailableReason, type SafeStorageLike } from '../../electron/main/data-key';

/** safeStorage as Electron has it, with a keychain secret of its own: another secret cannot decrypt. */
class FakeSafeStorage implements SafeStorageLike {
  available = true;
  backend = 'gnome_libsecret';
  constructor(private secret = 7) {}
  isEncryptionAvailable() {
    return this.available;
  }
  getSelectedStorageBackend() {
    return this.backend;
  }
  encryptString(plain: string): Buffer {
    return Buffer.concat([Buffer.from([this.secret]), Buffer.from(plain, 'utf8').map((b) => b ^ this.secret)]);
  }
  decryptString(sealed: Buffer): string {
    // Electron throws when the OS keychain cannot decrypt (another key, access refused).
    if (sealed[0] !== this.secret) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(sealed.subarray(1).map((b) => b ^ this.secret)).toString('utf8');
  }
  /** The keychain was reset: nothing sealed before opens. */
  reset() {
    this.secret++;
  }
}

let dir: string;
let asked: KeyUnavailableReason[];
const logs: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tern-datakey-'));
  asked = [];
  logs.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(safeStorage: SafeStorageLike, startOver: boolean, extra: Partial<KeychainDataKeyOptions> = {}) {
  return loadKeychainDataKey({
    dataDir: dir,
    safeStorage,
    platform: 'linux',
    confirmStartOver: (reason) => {
      asked.push(reason);
      return startOver;
    },
    log: { info: (_o, m) => logs.push(`info ${m}`), warn: (_o, m) => logs.push(`warn ${m}`) },
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
    ...extra,
  });
}

const keyOf = (result: ReturnType<typeof load>) => {
  if (result === 'quit' || !result.dataKey) throw new Error(`no key: ${JSON.stringify(result)}`);
  return result.dataKey;
};

describe('the data key in the OS keychain', () => {
  it('is made once, kept sealed (0600, not in clear) and read back the same', () => {
    const storage = new FakeSafeStorage();
    const first = keyOf(load(storage, false));
    expect(first).toMatchObject({ protection: 'os-keychain', replaced: false });
    expect(first.key).toHaveLength(32);
    const file = join(dir, keychainFileName);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).includes(Buffer.from(Buffer.from(first.key).toString('base64')))).toBe(false);
    const again = keyOf(load(storage, false));
    expect(again).toMatchObject({ protection: 'os-keychain', replaced: false });
    expect(Buffer.from(again.key).equals(Buffer.from(first.key))).toBe(true);
    expect(asked).toEqual([]);
  });

  it('moves a key file (written when there was no keychain) into the keychain: the same key, the file gone', () => {
    const key = Buffer.alloc(32, 0xab);
    writeFileSync(join(dir, 'data.key'), `${key.toString('base64')}\n`, { mode: 0o600 });
    const result = keyOf(load(new FakeSafeStorage(), false));
    expect(Buffer.from(result.key).equals(key)).toBe(true);
    expect(result.replaced).toBe(false);
    expect(existsSync(join(dir, 'data.key'))).toBe(false);
    expect(logs).toContain('info data key: moved from the key file into the OS keychain');
  });

  it('a damaged key file is set aside and reported as a replaced key', () => {
    writeFileSync(join(dir, 'data.key'), 'not a key');
    const result = keyOf(load(new FakeSafeStorage(), false));
    expect(result.replaced).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([keychainFileName, 'data.key.unreadable-2026-01-02T03-04-05-000Z']);
  });

  it('no keychain (Linux basic_text, or none at all): the core keeps its key file, and the log says it is weaker', () => {
    const storage = new FakeSafeStorage();
    storage.backend = 'basic_text';
    expect(keychainAvailable(storage, 'linux')).toBe(false);
    expect(load(storage, false)).toEqual({ dataKey: undefined });
    expect(logs.some((l) => l.includes('no OS keychain'))).toBe(true);
    expect(existsSync(join(dir, keychainFileName))).toBe(false);
    // The backend name matters only on Linux; elsewhere availability is the keychain's own answer.
    expect(keychainAvailable(storage, 'darwin')).toBe(true);
    storage.available = false;
    expect(keychainAvailable(storage, 'win32')).toBe(false);
  });

  it('the keychain refuses the key: quitting touches nothing, and the same key comes back when the keychain does', () => {
    const storage = new FakeSafeStorage();
    const first = keyOf(load(storage, false));
    const sealed = readFileSync(join(dir, keychainFileName));
    storage.reset();
    expect(load(storage, false)).toBe('quit');
    expect(asked).toEqual(['keychain-refused']);
    expect(readFileSync(join(dir, keychainFileName)).equals(sealed)).toBe(true);
    // The keychain is back (e.g. access granted): the same key, nothing lost.
    const back = new FakeSafeStorage();
    expect(Buffer.from(keyOf(load(back, false)).key).equals(Buffer.from(first.key))).toBe(true);
  });

  it('the keychain refuses the key and the user starts over: a new key, reported as replaced, the old one set aside', () => {
    const storage = new FakeSafeStorage();
    const first = keyOf(load(storage, false));
    storage.reset();
    const next = keyOf(load(storage, true));
    expect(asked).toEqual(['keychain-refused']);
    expect(next).toMatchObject({ protection: 'os-keychain', replaced: true });
    expect(Buffer.from(next.key).equals(Buffer.from(first.key))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([keychainFileName, `${keychainFileName}.unreadable-2026-01-02T03-04-05-000Z`]);
    // From now on the new key is read back without asking.
    expect(keyOf(load(storage, false))).toMatchObject({ replaced: false });
    expect(asked).toEqual(['keychain-refused']);
  });

  it('the keychain that holds the key is not available now (a Linux session without its keyring): asks; starting over falls back to the key file', () => {
    const storage = new FakeSafeStorage();
    keyOf(load(storage, false));
    storage.backend = 'basic_text';
    expect(load(storage, false)).toBe('quit');
    expect(existsSync(join(dir, keychainFileName))).toBe(true);
    expect(load(storage, true)).toEqual({ dataKey: undefined });
    expect(asked).toEqual(['keychain-unavailable', 'keychain-unavailable']);
    expect(readdirSync(dir)).toEqual([`${keychainFileName}.unreadable-2026-01-02T03-04-05-000Z`]);
  });
});
