// The main process's start-up crypto check: a complete runtime starts; one
// that lacks a primitive shows a translated dialog naming it, logs which
// check failed, and the caller exits.
import { describe, expect, it } from 'vitest';
import { cryptoReadyAtStart } from '../../electron/main/crypto-check';
import { stringsFor } from '../../electron/main/strings';
import { checkCrypto, type CryptoReport } from '../../shared/node/noise/self-check';

function run(report: CryptoReport, lang: 'en' | 'zh-CN') {
  const dialogs: Array<{ title: string; body: string }> = [];
  const logs: Array<{ obj: object; msg: string }> = [];
  const ok = cryptoReadyAtStart({
    check: () => report,
    strings: stringsFor(lang),
    showError: (title, body) => dialogs.push({ title, body }),
    log: { error: (obj, msg) => logs.push({ obj, msg }) },
  });
  return { ok, dialogs, logs };
}

const broken: CryptoReport = {
  ok: false,
  profile: 'portable',
  protocol: 'Noise_NK_25519_AESGCM_SHA256',
  checks: [
    { primitive: 'random bytes', ok: true },
    { primitive: 'AES-256-GCM', ok: false, error: 'Unknown cipher: aes-256-gcm' },
    { primitive: 'Noise handshake', ok: false, error: 'Unknown cipher: aes-256-gcm' },
  ],
  missing: ['AES-256-GCM', 'Noise handshake'],
};

describe('start-up crypto check (Electron main)', () => {
  it('passes on this runtime with the real self-check, showing nothing', () => {
    const result = run(checkCrypto(), 'en');
    expect(result).toEqual({ ok: true, dialogs: [], logs: [] });
  });

  it('names the missing primitive in English and logs the failed checks', () => {
    const { ok, dialogs, logs } = run(broken, 'en');
    expect(ok).toBe(false);
    expect(dialogs).toEqual([{ title: 'Tern cannot start', body: expect.stringContaining('lacks AES-256-GCM, Noise handshake') }]);
    expect(logs).toHaveLength(1);
    expect(logs[0]!.obj).toMatchObject({ missing: ['AES-256-GCM', 'Noise handshake'], checks: [{ primitive: 'AES-256-GCM', error: 'Unknown cipher: aes-256-gcm' }, { primitive: 'Noise handshake' }] });
  });

  it('says it in Chinese for a Chinese system', () => {
    const { dialogs } = run(broken, 'zh-CN');
    expect(dialogs[0]!.title).toBe('Tern 无法启动');
    expect(dialogs[0]!.body).toContain('缺少 AES-256-GCM、Noise handshake');
  });
});
