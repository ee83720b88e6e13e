// Release signatures as the app checks them (electron/main/update-signature.ts;
// signed with build/release-signing.ts, tested in tests/build/) and the
// administrator's switch (electron/main/admin-policy.ts).
import { describe, expect, it } from 'vitest';
import { keys, publicB64, secret, sha } from '../support/update-signing-keys';
import { parsePublicKeys, releaseFiles, signedMessage, signRelease, verifyRelease } from '../../electron/main/update-signature';
import { generateKeyPair, parseUpdateYaml, secretKeyFromBase64 } from '../../build/release-signing';
import { policyFilePath, readAdminPolicy } from '../../electron/main/admin-policy';


const electronBuilderYml = `version: 1.4.0
files:
  - url: Tern-Setup-1.4.0.exe
    sha512: ${sha('A')}
    size: 81234567
  - url: Tern-Setup-1.4.0-arm64.exe
    sha512: ${sha('B')}
    size: 80234567
path: Tern-Setup-1.4.0.exe
sha512: ${sha('A')}
releaseDate: '2025-03-01T10:00:00.000Z'
`;

describe('release signatures', () => {
  it('signs version and every file; any change to them breaks the signature', () => {
    const info = parseUpdateYaml(electronBuilderYml) as Record<string, unknown>;
    const signature = signRelease(info, secret);
    const signed = { ...info, ternSignature: signature };
    expect(verifyRelease(signed, keys)).toEqual({ ok: true, keyId: signature.keyId });
    const files = info.files as Array<{ url: string; sha512: string }>;
    const tampered = [
      { ...signed, version: '1.4.1' },
      { ...signed, files: [{ ...files[0]!, sha512: sha('C') }, files[1]] },
      { ...signed, files: [{ ...files[0]!, url: 'Tern-Setup-evil.exe' }, files[1]] },
      { ...signed, files: [files[0]] }, // a file dropped
      { ...signed, files: [...files, { url: 'extra.exe', sha512: sha('D') }] }, // a file added
    ];
    for (const t of tampered) expect(verifyRelease(t, keys)).toMatchObject({ ok: false, reason: 'bad-signature' });
    // Not signed: rollout share and date may change without the key.
    expect(verifyRelease({ ...signed, stagingPercentage: 50, releaseDate: 'x' }, keys).ok).toBe(true);
  });

  it('says why a release is refused', () => {
    const info = parseUpdateYaml(electronBuilderYml) as Record<string, unknown>;
    const signature = signRelease(info, secret);
    expect(verifyRelease(info, keys)).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(verifyRelease({ ...info, ternSignature: signature }, [])).toMatchObject({ ok: false, reason: 'no-keys' });
    expect(verifyRelease({ ...info, ternSignature: 'abc' }, keys)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyRelease({ ...info, ternSignature: { ...signature, keyId: '0011223344556677' } }, keys)).toMatchObject({ ok: false, reason: 'unknown-key' });
    expect(verifyRelease({ ...info, ternSignature: { ...signature, sig: 'AAAA' } }, keys)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const other = generateKeyPair();
    const byOther = signRelease(info, secretKeyFromBase64(other.secret));
    expect(verifyRelease({ ...info, ternSignature: byOther }, keys)).toMatchObject({ ok: false, reason: 'unknown-key' });
    // Several pinned keys (rotation): either verifies.
    expect(verifyRelease({ ...info, ternSignature: byOther }, parsePublicKeys(`${publicB64}, ${other.publicKey}`)).ok).toBe(true);
    for (const bad of [null, [], { version: '1 .0', files: [] }, { version: '1.0.0', files: [{ url: 'a b', sha512: sha('A') }] }, { version: '1.0.0', files: [{ url: 'a', sha512: 'short' }] }]) {
      expect(verifyRelease(bad, keys)).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  it('signs what electron-updater would download: files, or the legacy path + sha512', () => {
    expect(releaseFiles({ version: '1.0.0', path: 'a.AppImage', sha512: sha('A') }).files).toEqual([{ url: 'a.AppImage', sha512: sha('A') }]);
    expect(() => releaseFiles({ version: '1.0.0', files: [{ url: 'a', sha512: sha('A') }, { url: 'a', sha512: sha('B') }] })).toThrow(/twice/);
    // The signed bytes are one fact per line, files sorted: no ambiguity between fields.
    expect(new TextDecoder().decode(signedMessage('1.0.0', [{ url: 'a', sha512: sha('A') }]))).toBe(`tern-update-v1\nversion 1.0.0\nfile a ${sha('A')}`);
  });

  it('rejects keys that are not 32 bytes of base64', () => {
    expect(parsePublicKeys('')).toEqual([]);
    expect(() => parsePublicKeys('AAAA')).toThrow(/not an Ed25519 public key/);
    expect(() => parsePublicKeys(`${publicB64.slice(0, -2)}!=`)).toThrow();
  });
});

describe('administrator policy', () => {
  const noFile = () => null;
  it('turns updates off from the environment or a policy file, and fails closed on a broken file', () => {
    expect(readAdminPolicy({ platform: 'linux', env: {}, readFile: noFile })).toEqual({ updatesDisabled: false, source: 'none' });
    expect(readAdminPolicy({ platform: 'linux', env: { TERN_DISABLE_UPDATES: '1' }, readFile: noFile })).toEqual({ updatesDisabled: true, source: 'env' });
    expect(readAdminPolicy({ platform: 'linux', env: { TERN_DISABLE_UPDATES: '0' }, readFile: noFile }).updatesDisabled).toBe(false);
    const read = (text: string) => (path: string) => (path === '/etc/tern/policy.json' ? text : null);
    expect(readAdminPolicy({ platform: 'linux', env: {}, readFile: read('{"disableUpdates": true, "future": 1}') })).toEqual({ updatesDisabled: true, source: 'file' });
    expect(readAdminPolicy({ platform: 'linux', env: {}, readFile: read('{"disableUpdates": false}') })).toEqual({ updatesDisabled: false, source: 'file' });
    const warnings: string[] = [];
    const warn = (m: string) => void warnings.push(m);
    expect(readAdminPolicy({ platform: 'linux', env: {}, readFile: read('{disable'), warn })).toEqual({ updatesDisabled: true, source: 'file-unreadable' });
    expect(readAdminPolicy({ platform: 'linux', env: {}, readFile: read('{"disableUpdates": "yes"}'), warn }).updatesDisabled).toBe(true);
    expect(readAdminPolicy({ platform: 'linux', env: {}, readFile: () => { throw new Error('EACCES'); }, warn }).source).toBe('file-unreadable');
    expect(warnings).toHaveLength(3);
  });

  it('looks where each platform keeps machine-wide settings', () => {
    expect(policyFilePath('linux', {})).toBe('/etc/tern/policy.json');
    expect(policyFilePath('darwin', {})).toBe('/Library/Application Support/Tern/policy.json');
    expect(policyFilePath('win32', { ProgramData: 'D:\\PD' })).toBe('D:\\PD\\Tern\\policy.json');
  });
});
