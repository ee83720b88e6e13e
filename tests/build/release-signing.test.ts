// The release-signing script (build/release-signing.ts): keys, signing the
// yml electron-builder writes, verifying; as functions and as a command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keys, publicB64, secret, sha } from '../support/update-signing-keys';
import { signYamlText, verifyYamlText } from '../../build/release-signing';

const root = resolve(import.meta.dirname, '../..');

const electronBuilderYml = `version: 1.4.0
files:
  - url: Tern-Setup-1.4.0.exe
    sha512: ${sha('A')}
    size: 81234567
path: Tern-Setup-1.4.0.exe
sha512: ${sha('A')}
releaseDate: '2025-03-01T10:00:00.000Z'
`;

describe('the signing script', () => {
  it('appends a signature block to the yml as written, replaces it when signing again, and verifies', () => {
    const once = signYamlText(electronBuilderYml, secret);
    expect(once.startsWith(electronBuilderYml)).toBe(true);
    expect(verifyYamlText(once, keys).ok).toBe(true);
    const twice = signYamlText(once, secret);
    expect(twice).toBe(once);
    expect(twice.match(/ternSignature:/g)).toHaveLength(1);
    expect(verifyYamlText(once.replace('1.4.0\n', '1.4.9\n'), keys)).toMatchObject({ ok: false });
    expect(verifyYamlText('files: [', keys)).toMatchObject({ ok: false, reason: 'malformed' });
    // A signed file plus a later staged rollout still verifies.
    expect(verifyYamlText(`${once}stagingPercentage: 20\n`, keys).ok).toBe(true);
  });

  it('runs as a command: keygen (secret 0600), sign, verify (exit 1 on a bad file); never prints the secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tern-sign-'));
    try {
      const tsx = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'build/release-signing.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, TERN_UPDATE_SIGNING_KEY: '' } });
      const gen = tsx('keygen', join(dir, 'keys'));
      expect(gen.status, gen.stderr).toBe(0);
      const secretText = readFileSync(join(dir, 'keys/tern-update-key.private'), 'utf8').trim();
      const pub = readFileSync(join(dir, 'keys/tern-update-key.pub'), 'utf8').trim();
      expect(statSync(join(dir, 'keys/tern-update-key.private')).mode & 0o777).toBe(0o600);
      expect(gen.stdout).toContain(pub);
      expect(gen.stdout).not.toContain(secretText);
      expect(tsx('keygen', join(dir, 'keys')).status).not.toBe(0); // never overwrites a key
      const yml = join(dir, 'latest.yml');
      writeFileSync(yml, electronBuilderYml);
      writeFileSync(join(dir, 'beta-linux.yml'), electronBuilderYml);
      writeFileSync(join(dir, 'builder-debug.yml'), 'x: [1\n'); // not update metadata: left alone
      // A directory means its channel files.
      const sign = tsx('sign', '--key-file', join(dir, 'keys/tern-update-key.private'), dir);
      expect(sign.status, sign.stderr).toBe(0);
      expect(sign.stdout).toContain('beta-linux.yml');
      expect(sign.stdout + sign.stderr).not.toContain(secretText);
      expect(readFileSync(join(dir, 'builder-debug.yml'), 'utf8')).toBe('x: [1\n');
      expect(tsx('verify', '--public-keys', pub, dir).status).toBe(0);
      expect(tsx('verify', '--public-keys', publicB64, yml).status).toBe(1);
      expect(tsx('sign', yml).stderr).toMatch(/no signing key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

