/**
 * Signs a release's update metadata (`dist/*.yml`) with the release key, and
 * checks signatures. See docs/RELEASING.md ("Release signing").
 *
 *   tsx build/release-signing.ts keygen DIR
 *       writes DIR/tern-update-key.private (mode 0600: the secret, base64) and
 *       DIR/tern-update-key.pub, and prints the public key to pin
 *       (TERN_UPDATE_PUBLIC_KEYS at build time).
 *   tsx build/release-signing.ts sign FILE.yml|DIR...
 *       the secret from TERN_UPDATE_SIGNING_KEY (base64), or --key-file PATH.
 *       Adds (or replaces) the `ternSignature` block of each file; a directory
 *       means its channel files (latest*.yml, beta*.yml, alpha*.yml).
 *   tsx build/release-signing.ts verify --public-keys KEYS FILE.yml|DIR...
 *       exits 1 unless every file carries a valid signature by one of KEYS.
 *
 * The secret never appears in output or in the files. The yml text is kept as
 * electron-builder wrote it; the signature block is appended, so
 * `stagingPercentage` can still be added or raised afterwards without the key.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import yaml from 'js-yaml';
import { keyId, parsePublicKeys, signatureField, signRelease, verifyRelease, type Verdict } from '../electron/main/update-signature';

/** Parses update metadata the way electron-updater does (js-yaml, default schema). */
export function parseUpdateYaml(text: string): unknown {
  return yaml.load(text);
}

/** The yml text without a previous signature block. */
function withoutSignature(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (line.startsWith(`${signatureField}:`)) {
      skipping = true;
      continue;
    }
    if (skipping && /^\s+\S/.test(line)) continue;
    skipping = false;
    out.push(line);
  }
  return out.join('\n');
}

/** Returns the yml text with a fresh signature block (over version and files) appended. */
export function signYamlText(text: string, secretKey: Uint8Array): string {
  const base = withoutSignature(text).replace(/\n*$/, '\n');
  const signature = signRelease(parseUpdateYaml(base), secretKey);
  // Quoted scalars: base64 and hex need no escaping inside single quotes.
  return `${base}${signatureField}:\n  keyId: '${signature.keyId}'\n  sig: '${signature.sig}'\n`;
}

export function verifyYamlText(text: string, publicKeys: readonly Uint8Array[]): Verdict {
  let info: unknown;
  try {
    info = parseUpdateYaml(text);
  } catch (error) {
    return { ok: false, reason: 'malformed', detail: `not YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  return verifyRelease(info, publicKeys);
}

export function secretKeyFromBase64(b64: string): Uint8Array {
  const bytes = Buffer.from(b64.trim(), 'base64');
  if (bytes.length !== 32) throw new Error('the signing key must be 32 bytes of base64 (made by `keygen`)');
  return new Uint8Array(bytes);
}

export function generateKeyPair(): { secret: string; publicKey: string; keyId: string } {
  const secret = ed25519.utils.randomSecretKey();
  const pub = ed25519.getPublicKey(secret);
  return { secret: Buffer.from(secret).toString('base64'), publicKey: Buffer.from(pub).toString('base64'), keyId: keyId(pub) };
}

/** electron-updater's channel files, as electron-builder names them (not builder-debug.yml and the like). */
const CHANNEL_FILE = /^(latest|beta|alpha)(-[a-z0-9]+)*\.yml$/;

/** Files as given, directories replaced by their channel files. */
export function channelFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => CHANNEL_FILE.test(f))
          .sort()
          .map((f) => join(p, f))
      : [p],
  );
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { 'key-file': { type: 'string' }, 'public-keys': { type: 'string' } },
  });
  if (command === 'keygen' && positionals.length === 1) {
    const dir = positionals[0]!;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = generateKeyPair();
    const secretPath = join(dir, 'tern-update-key.private');
    writeFileSync(secretPath, `${pair.secret}\n`, { mode: 0o600, flag: 'wx' }); // never overwrite a key
    chmodSync(secretPath, 0o600);
    writeFileSync(join(dir, 'tern-update-key.pub'), `${pair.publicKey}\n`, { flag: 'wx' });
    console.log(`secret key: ${secretPath} (keep it offline; store it as the CI secret TERN_UPDATE_SIGNING_KEY)`);
    console.log(`public key (pin it: TERN_UPDATE_PUBLIC_KEYS): ${pair.publicKey}`);
    console.log(`key id: ${pair.keyId}`);
    return 0;
  }
  if (command === 'sign' && positionals.length > 0) {
    const raw = values['key-file'] ? readFileSync(values['key-file'], 'utf8') : process.env.TERN_UPDATE_SIGNING_KEY;
    if (!raw) throw new Error('no signing key: set TERN_UPDATE_SIGNING_KEY or pass --key-file');
    const secret = secretKeyFromBase64(raw);
    const files = channelFiles(positionals);
    if (files.length === 0) throw new Error('no update metadata (latest*.yml, beta*.yml, alpha*.yml) to sign');
    for (const file of files) {
      writeFileSync(file, signYamlText(readFileSync(file, 'utf8'), secret));
      console.log(`signed ${file} (key ${keyId(ed25519.getPublicKey(secret))})`);
    }
    return 0;
  }
  if (command === 'verify' && positionals.length > 0) {
    const keys = parsePublicKeys(values['public-keys'] ?? process.env.TERN_UPDATE_PUBLIC_KEYS);
    let failed = 0;
    const files = channelFiles(positionals);
    if (files.length === 0) throw new Error('no update metadata (latest*.yml, beta*.yml, alpha*.yml) to verify');
    for (const file of files) {
      const verdict = verifyYamlText(readFileSync(file, 'utf8'), keys);
      if (verdict.ok) console.log(`ok ${file} (key ${verdict.keyId})`);
      else {
        failed++;
        console.error(`FAILED ${file}: ${verdict.detail}`);
      }
    }
    return failed === 0 ? 0 : 1;
  }
  console.error('usage: release-signing.ts keygen DIR | sign [--key-file F] FILE.yml... | verify --public-keys KEYS FILE.yml...');
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
