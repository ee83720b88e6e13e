/**
 * A node:crypto with Electron's crypto profile: it refuses every cipher,
 * digest, curve and key type that Electron's Node (built on BoringSSL, not
 * OpenSSL) does not offer, and passes everything else to the real module.
 * Tests install it with
 *
 *   vi.mock('node:crypto', async (real) => (await import('<path to>/tests/support/electron-crypto')).electronCrypto(await real()));
 *
 * so that the code under test sees Electron's crypto while the real server
 * runs in its own, plain Node process. No Electron binary can be downloaded
 * here; this is how the client is proved to run inside one.
 *
 * The shim is conservative: when in doubt, it refuses (code that passes under
 * it uses only what Electron certainly has). Sources of each list:
 *
 * - Ciphers: `crypto.getCiphers()` as printed by Electron 9.0.3 and
 *   10.0.0-beta.2 in electron/electron#24024 ("crypto module missing
 *   chacha20-poly1305 cipher"; still reported by Electron apps since). It is
 *   the list BoringSSL's `EVP_CIPHER_do_all_sorted`
 *   (decrepit/evp/evp_do_all.cc) enumerates: AES in CBC/CFB/CTR/ECB/GCM/OFB,
 *   DES, RC2, RC4; no ChaCha20-Poly1305, no OCB, no key wrap.
 * - Digests: BoringSSL's `EVP_MD_do_all_sorted` in the same file (MD4, MD5,
 *   RIPEMD-160, SHA-1, SHA-2); no SHA-3, SHAKE or BLAKE2 (Electron's patch
 *   `patches/node/fix_crypto_tests_to_run_with_bssl.patch` swaps Node's
 *   sha3-512 test for sha512 and disables the SHAKE tests).
 * - Key types and curves: the same Electron patch disables Node's tests of
 *   x25519, x448 and ed448 key generation, DSA, DH and RSA-PSS keys, and
 *   swaps secp256k1 for secp521r1 (BoringSSL has the NIST curves only). All
 *   of those are refused here, X25519 key objects included.
 * - WebCrypto (`crypto.subtle`, `webcrypto.subtle`): not modelled, so any use
 *   throws; the transport must not depend on it.
 */
import type * as NodeCrypto from 'node:crypto';

/** Electron's crypto.getCiphers() (electron/electron#24024). */
export const ELECTRON_CIPHERS: readonly string[] = [
  'aes-128-cbc', 'aes-128-cfb', 'aes-128-ctr', 'aes-128-ecb', 'aes-128-gcm', 'aes-128-ofb',
  'aes-192-cbc', 'aes-192-ctr', 'aes-192-ecb', 'aes-192-gcm', 'aes-192-ofb',
  'aes-256-cbc', 'aes-256-cfb', 'aes-256-ctr', 'aes-256-ecb', 'aes-256-gcm', 'aes-256-ofb',
  'des-cbc', 'des-ecb', 'des-ede', 'des-ede-cbc', 'des-ede3-cbc', 'rc2-cbc', 'rc4',
];

/** BoringSSL's digests (EVP_MD_do_all_sorted). */
export const ELECTRON_HASHES: readonly string[] = ['md4', 'md5', 'ripemd160', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha512-224', 'sha512-256'];

/** Asymmetric key types we rely on Electron having; everything else (x25519 among them) is refused. */
export const ELECTRON_KEY_TYPES: readonly string[] = ['rsa', 'ec', 'ed25519'];

/** BoringSSL's named curves. */
export const ELECTRON_CURVES: readonly string[] = ['prime256v1', 'secp224r1', 'secp384r1', 'secp521r1'];

/** Test knobs: refuse more than Electron does (e.g. to prove the start-up self-check names a missing cipher). */
export const electronCryptoControls = {
  alsoRefusedCiphers: new Set<string>(),
  alsoRefusedHashes: new Set<string>(),
  /** Every refusal, for tests that assert the shim was in the way. */
  refusals: [] as string[],
};

function refuse(what: string, code: string): never {
  electronCryptoControls.refusals.push(what);
  throw Object.assign(new Error(what), { code });
}

function checkCipher(name: string): void {
  const lower = name.toLowerCase();
  if (!ELECTRON_CIPHERS.includes(lower) || electronCryptoControls.alsoRefusedCiphers.has(lower)) refuse(`Unknown cipher: ${name}`, 'ERR_CRYPTO_UNKNOWN_CIPHER');
}

function checkHash(name: string): void {
  const lower = name.toLowerCase();
  if (!ELECTRON_HASHES.includes(lower) || electronCryptoControls.alsoRefusedHashes.has(lower)) refuse(`Digest method not supported: ${name}`, 'ERR_CRYPTO_INVALID_DIGEST');
}

function checkKeyType(type: string | undefined): void {
  if (type !== undefined && !ELECTRON_KEY_TYPES.includes(type)) refuse(`Unsupported key type: ${type}`, 'ERR_CRYPTO_UNSUPPORTED_OPERATION');
}

function checkCurve(options: unknown): void {
  const curve = (options as { namedCurve?: unknown } | undefined)?.namedCurve;
  if (typeof curve === 'string' && !ELECTRON_CURVES.includes(curve)) refuse(`Unsupported curve: ${curve}`, 'ERR_CRYPTO_INVALID_CURVE');
}

function checkKey<T extends NodeCrypto.KeyObject>(key: T): T {
  if (key.type !== 'secret') checkKeyType(key.asymmetricKeyType);
  return key;
}

function unmodelled(name: string): object {
  return new Proxy(
    {},
    {
      get: (_target, property) => refuse(`${name}.${String(property)} is not modelled by the Electron crypto shim`, 'ERR_CRYPTO_UNSUPPORTED_OPERATION'),
    },
  );
}

type Real = typeof NodeCrypto;

/** The module to return from a `vi.mock('node:crypto', ...)` factory. */
export function electronCrypto(real: Real): Real & { default: Real } {
  const shim: Real = {
    ...real,
    getCiphers: () => ELECTRON_CIPHERS.filter((c) => !electronCryptoControls.alsoRefusedCiphers.has(c)),
    getHashes: () => ELECTRON_HASHES.filter((h) => !electronCryptoControls.alsoRefusedHashes.has(h)),
    getCurves: () => [...ELECTRON_CURVES],
    createCipheriv: ((algorithm: string, ...rest: unknown[]) => {
      checkCipher(algorithm);
      return (real.createCipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest);
    }) as Real['createCipheriv'],
    createDecipheriv: ((algorithm: string, ...rest: unknown[]) => {
      checkCipher(algorithm);
      return (real.createDecipheriv as (...args: unknown[]) => unknown)(algorithm, ...rest);
    }) as Real['createDecipheriv'],
    createHash: ((algorithm: string, options?: NodeCrypto.HashOptions) => {
      checkHash(algorithm);
      return real.createHash(algorithm, options);
    }) as Real['createHash'],
    createHmac: ((algorithm: string, key: NodeCrypto.BinaryLike | NodeCrypto.KeyObject, options?: unknown) => {
      checkHash(algorithm);
      return (real.createHmac as (...args: unknown[]) => unknown)(algorithm, key, options);
    }) as Real['createHmac'],
    hkdfSync: ((digest: string, ...rest: unknown[]) => {
      checkHash(digest);
      return (real.hkdfSync as (...args: unknown[]) => unknown)(digest, ...rest);
    }) as Real['hkdfSync'],
    generateKeyPairSync: ((type: string, options?: unknown) => {
      checkKeyType(type);
      checkCurve(options);
      return (real.generateKeyPairSync as (...args: unknown[]) => unknown)(type, options);
    }) as Real['generateKeyPairSync'],
    generateKeyPair: ((type: string, ...rest: unknown[]) => {
      checkKeyType(type);
      checkCurve(rest[0]);
      return (real.generateKeyPair as (...args: unknown[]) => unknown)(type, ...rest);
    }) as Real['generateKeyPair'],
    createPrivateKey: ((key: Parameters<Real['createPrivateKey']>[0]) => checkKey(real.createPrivateKey(key))) as Real['createPrivateKey'],
    createPublicKey: ((key: Parameters<Real['createPublicKey']>[0]) => checkKey(real.createPublicKey(key))) as Real['createPublicKey'],
    diffieHellman: ((options: { privateKey: NodeCrypto.KeyObject; publicKey: NodeCrypto.KeyObject }) => {
      checkKey(options.privateKey);
      checkKey(options.publicKey);
      return real.diffieHellman(options);
    }) as Real['diffieHellman'],
    createECDH: ((curve: string) => {
      checkCurve({ namedCurve: curve });
      return real.createECDH(curve);
    }) as Real['createECDH'],
    createDiffieHellman: (() => refuse('Unsupported key type: dh', 'ERR_CRYPTO_UNSUPPORTED_OPERATION')) as Real['createDiffieHellman'],
    subtle: unmodelled('crypto.subtle') as Real['subtle'],
    webcrypto: {
      getRandomValues: real.webcrypto.getRandomValues.bind(real.webcrypto),
      randomUUID: real.webcrypto.randomUUID.bind(real.webcrypto),
      subtle: unmodelled('webcrypto.subtle'),
    } as unknown as Real['webcrypto'],
  };
  return { ...shim, default: shim };
}
