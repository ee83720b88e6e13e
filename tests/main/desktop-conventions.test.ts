// The plain modules behind the desktop conventions: tern:// links, the
// right-click menu, spelling languages, start at login, log rotation, the
// debug-log export, the profile directory, the macOS template tray icon.
// (Their wiring to Electron: main-wiring.test.ts.)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { userDataDirOverride } from '../../electron/main/config';
import { contextMenuTemplate, type ContextMenuParams } from '../../electron/main/context-menu';
import { buildDebugReport, scrubLogLine } from '../../electron/main/debug-log';
import { LinkRouter, linkFromArgv, parseDeepLink, type DeepLink } from '../../electron/main/deep-link';
import { drawTrayTemplateIcon } from '../../electron/main/icons/draw';
import { RotatingLogFile } from '../../electron/main/log-file';
import { applyStartAtLogin, autostartEntry, autostartFile, desktopExecArg } from '../../electron/main/login-item';
import { spellcheckLanguages } from '../../electron/main/spellcheck';
import { stringsFor } from '../../electron/main/strings';

const dirs: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), `tern-${prefix}-`));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('tern:// links', () => {
  it('opens chats and users', () => {
    expect(parseDeepLink('tern://chat/u/42')).toEqual({ kind: 'chat', key: 'u:42' });
    expect(parseDeepLink('tern://chat/g/7')).toEqual({ kind: 'chat', key: 'g:7' });
    expect(parseDeepLink('tern://user/alice.w_1')).toEqual({ kind: 'user', username: 'alice.w_1' });
    expect(parseDeepLink('TERN://user/alice/')).toEqual({ kind: 'user', username: 'alice' }); // scheme case, one trailing slash
  });

  it('refuses everything else', () => {
    const bad = [
      'tern://chat/u/0', 'tern://chat/u/-1', 'tern://chat/u/01', 'tern://chat/u/99999999999999999', 'tern://chat/x/1', 'tern://chat/u/1/2',
      'tern://chat/u/1?x=1', 'tern://chat/u/1#x', 'tern://user/alice?', 'tern://a:b@chat/u/1', 'tern://chat:99/u/1', 'tern://CHAT/u/1',
      'tern://user/Al', 'tern://user/AliceUpper', 'tern://user/al ice', 'tern://user/%61lice', 'tern://user/ａlice', 'tern://settings/reset',
      'tern:chat/u/1', 'https://chat/u/1', 'javascript:alert(1)', `tern://user/${'a'.repeat(300)}`, '', 42, null, undefined,
    ];
    for (const raw of bad) expect(parseDeepLink(raw), String(raw)).toBeNull();
  });

  it('finds the link among command-line arguments', () => {
    expect(linkFromArgv(['/opt/Tern/tern', '--hidden', 'tern://chat/u/1'])).toBe('tern://chat/u/1');
    expect(linkFromArgv(['/opt/Tern/tern', '--hidden'])).toBeUndefined();
  });

  it('holds a link until the UI listens; logs refused links without their content', () => {
    const delivered: DeepLink[] = [];
    const warnings: object[] = [];
    const router = new LinkRouter((l) => delivered.push(l), { warn: (o) => warnings.push(o) });
    expect(router.receive('tern://user/alice', 'argv')).toBe(true);
    expect(router.receive('tern://user/bob', 'open-url')).toBe(true); // the newest waits
    expect(delivered).toEqual([]);
    router.setReady(true);
    expect(delivered).toEqual([{ kind: 'user', username: 'bob' }]);
    expect(router.receive('tern://chat/g/3', 'second-instance')).toBe(true);
    expect(delivered.at(-1)).toEqual({ kind: 'chat', key: 'g:3' });
    expect(router.receive('tern://user/secret-token-here?x', 'second-instance')).toBe(false);
    expect(warnings).toEqual([{ source: 'second-instance', length: 'tern://user/secret-token-here?x'.length }]);
  });
});

describe('right-click menu', () => {
  const en = stringsFor('en');
  const zh = stringsFor('zh-CN');
  const base: ContextMenuParams = { isEditable: false, selectionText: '', linkURL: '', misspelledWord: '', dictionarySuggestions: [], editFlags: { canCut: false, canCopy: false, canPaste: false, canSelectAll: false } };
  const noop = { replaceMisspelling() {}, addToDictionary() {}, copyText() {} };
  const labels = (p: ContextMenuParams, s = en) => contextMenuTemplate(p, s, noop).map((i) => (i.type === 'separator' ? '—' : `${i.label}${i.enabled === false ? ' (off)' : ''}`));

  it('edit actions in text fields, enabled as the field allows', () => {
    expect(labels({ ...base, isEditable: true, editFlags: { canCut: true, canCopy: true, canPaste: false, canSelectAll: true } })).toEqual(['Cut', 'Copy', 'Paste (off)', 'Select All']);
    expect(labels({ ...base, isEditable: true, editFlags: { canCut: true, canCopy: true, canPaste: true, canSelectAll: true } }, zh)).toEqual(['剪切', '复制', '粘贴', '全选']);
  });

  it('spelling suggestions first (at most five), or none to offer; then add to dictionary', () => {
    const p = { ...base, isEditable: true, misspelledWord: 'teh', dictionarySuggestions: ['the', 'ten', 'tea', 'tee', 'toe', 'tech'] };
    expect(labels(p).slice(0, 7)).toEqual(['the', 'ten', 'tea', 'tee', 'toe', 'Add to Dictionary', '—']);
    expect(labels({ ...p, dictionarySuggestions: [] }).slice(0, 2)).toEqual(['No Spelling Suggestions (off)', 'Add to Dictionary']);
    const replaced: string[] = [];
    const t = contextMenuTemplate(p, en, { ...noop, replaceMisspelling: (w) => replaced.push(w) });
    t[1]!.click!(undefined as never, undefined, undefined as never);
    expect(replaced).toEqual(['ten']);
  });

  it('copy for selected text, copy link for web links, nothing otherwise', () => {
    expect(labels({ ...base, selectionText: 'some words' })).toEqual(['Copy']);
    const copied: string[] = [];
    const t = contextMenuTemplate({ ...base, linkURL: 'https://example.com/a' }, en, { ...noop, copyText: (x) => copied.push(x) });
    expect(t.map((i) => i.label)).toEqual(['Copy Link Address']);
    t[0]!.click!(undefined as never, undefined, undefined as never);
    expect(copied).toEqual(['https://example.com/a']);
    expect(labels({ ...base, linkURL: 'file:///etc/passwd' })).toEqual([]);
    expect(labels(base)).toEqual([]);
  });
});

describe('spelling languages', () => {
  const available = ['de', 'en-GB', 'en-US', 'fr'];
  it('uses the chosen dictionaries Chromium has, else English', () => {
    expect(spellcheckLanguages({ enabled: true, languages: ['fr', 'de'] }, available)).toEqual(['fr', 'de']);
    expect(spellcheckLanguages({ enabled: true, languages: ['zh-CN'] }, available)).toEqual(['en-US']);
    expect(spellcheckLanguages({ enabled: true, languages: [] }, ['en-GB', 'fr'])).toEqual(['en-GB']);
    expect(spellcheckLanguages({ enabled: true, languages: [] }, [])).toEqual([]);
  });
});

describe('start at login', () => {
  it('Linux: writes and removes an XDG autostart entry that starts hidden, quoting the path', () => {
    const config = temp('xdg');
    const calls: unknown[] = [];
    const host = { platform: 'linux' as const, executable: '/home/a b/Apps/Tern-1.0.0.AppImage', configDir: config, setLoginItemSettings: (s: unknown) => calls.push(s) };
    applyStartAtLogin(true, host);
    const entry = readFileSync(autostartFile(config), 'utf8');
    expect(entry).toContain('Exec="/home/a b/Apps/Tern-1.0.0.AppImage" --hidden\n');
    expect(entry.startsWith('[Desktop Entry]\nType=Application\n')).toBe(true);
    applyStartAtLogin(true, { ...host, executable: '/opt/Tern/tern' }); // the AppImage moved: the entry follows
    expect(readFileSync(autostartFile(config), 'utf8')).toContain('Exec=/opt/Tern/tern --hidden\n');
    applyStartAtLogin(false, host);
    expect(existsSync(autostartFile(config))).toBe(false);
    applyStartAtLogin(false, host); // idempotent
    expect(calls).toEqual([]);
  });

  it('Windows and macOS: the system login items (Windows passes --hidden)', () => {
    const calls: unknown[] = [];
    const host = { executable: 'x', configDir: '/nonexistent', setLoginItemSettings: (s: unknown) => calls.push(s) };
    applyStartAtLogin(true, { ...host, platform: 'win32' });
    applyStartAtLogin(false, { ...host, platform: 'darwin' });
    expect(calls).toEqual([{ openAtLogin: true, args: ['--hidden'] }, { openAtLogin: false }]);
  });

  it('quotes Exec arguments as the desktop entry spec says', () => {
    expect(desktopExecArg('/usr/bin/tern')).toBe('/usr/bin/tern');
    expect(desktopExecArg('/a "b"/$c`d\\e')).toBe('"/a \\"b\\"/\\$c\\`d\\\\e"');
    expect(autostartEntry('/usr/bin/tern')).toContain('Icon=tern');
  });
});

describe('log file rotation', () => {
  it('rotates at the size limit, keeps at most `keep` files, in order', () => {
    const dir = temp('logs');
    const log = new RotatingLogFile({ dir, maxBytes: 2000, keep: 3 });
    const lines = Array.from({ length: 200 }, (_, i) => `${JSON.stringify({ n: i, msg: 'x'.repeat(40) })}\n`);
    for (const l of lines) log.write(l);
    log.close();
    expect(readdirSync(dir).sort()).toEqual(['main.1.log', 'main.2.log', 'main.log']);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2000 + lines[0]!.length);
    // The newest lines, in order, across the files the export reads (oldest first).
    const kept = log.files().flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean)).map((l) => (JSON.parse(l) as { n: number }).n);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 200 - kept.length + i));
    expect(kept.length).toBeGreaterThan(60);
    expect(kept.length).toBeLessThan(200); // the oldest were dropped
  });

  it('rotates a log left too large by an earlier run before writing', () => {
    const dir = temp('logs');
    writeFileSync(join(dir, 'main.log'), 'y'.repeat(5000));
    const log = new RotatingLogFile({ dir, maxBytes: 2000, keep: 2 });
    log.write('{"msg":"fresh"}\n');
    log.close();
    expect(readFileSync(join(dir, 'main.1.log'), 'utf8')).toHaveLength(5000);
    expect(readFileSync(join(dir, 'main.log'), 'utf8')).toBe('{"msg":"fresh"}\n');
  });
});

describe('debug log export', () => {
  it('keeps what helps and replaces anything that could be private', () => {
    const line = JSON.stringify({ level: 30, time: 1, name: 'core', msg: 'send failed', conv: 'u:2', err: { code: 'TIMEOUT' }, text: 'my secret message', payload: { body: 'hi', password: 'pw' }, deviceToken: 't0k', publicKey: 'K', nickname: 'Al' });
    const clean = JSON.parse(scrubLogLine(line)!) as Record<string, unknown>;
    expect(clean).toMatchObject({ msg: 'send failed', conv: 'u:2', err: { code: 'TIMEOUT' }, text: '[redacted]', payload: { body: '[redacted]', password: '[redacted]' }, deviceToken: '[redacted]', publicKey: '[redacted]', nickname: '[redacted]' });
    expect(scrubLogLine('not json')).toBeNull();
    expect(scrubLogLine('[1,2]')).toBeNull();
  });

  it('writes the facts, then the newest lines, oldest first', () => {
    const logs = [
      ['{"msg":"a"}', 'garbage', '{"msg":"b","text":"private"}'].join('\n'),
      ['{"msg":"c"}', '{"msg":"d"}', ''].join('\n'),
    ];
    const report = buildDebugReport({ facts: { app: 'Tern 1.0.0', proxy: 'socks5', missing: undefined }, logs, maxLines: 3, now: new Date('2025-01-02T03:04:05Z') });
    expect(report).toBe(
      [
        '# Tern debug log',
        '# exported 2025-01-02T03:04:05.000Z',
        '# Contains no message text, passwords, tokens or keys. Fields that could hold them read [redacted].',
        '# app: Tern 1.0.0',
        '# proxy: socks5',
        '# log lines: 3 (the newest; 1 older left out), 1 unreadable lines left out',
        '{"msg":"b","text":"[redacted]"}',
        '{"msg":"c"}',
        '{"msg":"d"}',
        '',
      ].join('\n'),
    );
  });
});

describe('profiles', () => {
  it('--user-data-dir (either form) or TERN_DATA_DIR chooses the data directory', () => {
    expect(userDataDirOverride(['tern', '--user-data-dir=/data/work'], {}, '/home/a')).toBe('/data/work');
    expect(userDataDirOverride(['tern', '--user-data-dir', 'second'], {}, '/home/a')).toBe('/home/a/second');
    expect(userDataDirOverride(['tern'], { TERN_DATA_DIR: '/srv/tern' }, '/')).toBe('/srv/tern');
    expect(userDataDirOverride(['tern', '--user-data-dir=/x'], { TERN_DATA_DIR: '/y' }, '/')).toBe('/x');
    expect(userDataDirOverride(['tern'], {}, '/')).toBeUndefined();
  });
});

describe('macOS tray template image', () => {
  it('is black and alpha only, with a dot for unread', () => {
    for (const unread of [false, true]) {
      const bmp = drawTrayTemplateIcon(32, unread);
      let inked = 0;
      for (let i = 0; i < bmp.data.length; i += 4) {
        if (bmp.data[i + 3]! > 0) {
          inked++;
          expect([bmp.data[i], bmp.data[i + 1], bmp.data[i + 2]]).toEqual([0, 0, 0]);
        }
      }
      expect(inked).toBeGreaterThan(150);
    }
    const dot = (b: ReturnType<typeof drawTrayTemplateIcon>) => b.data[((32 - 4) * 32 + (32 - 4)) * 4 + 3];
    expect(dot(drawTrayTemplateIcon(32, false))).toBe(0);
    expect(dot(drawTrayTemplateIcon(32, true))).toBeGreaterThan(200);
  });
});
