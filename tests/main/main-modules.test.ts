// Badge numbers, tray state, window showing, window state, security checks,
// IPC wiring, quit, network probes and menus, with small fakes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BadgeController, MutedUnreadTracker, badgeLabel, badgeState, type TrayBadge } from '../../electron/main/badge';
import { WindowController, type ControlledWindow } from '../../electron/main/window-controller';
import { WindowStateKeeper, initialBounds, parseWindowState, defaultWindowSize } from '../../electron/main/window-state';
import { isAllowedExternalUrl, isPermissionAllowed, isTrustedSender, isNavigationAllowed } from '../../electron/main/security';
import { registerIpc, createEventSender } from '../../electron/main/ipc';
import { QuitController } from '../../electron/main/quit';
import { NetworkWatcher, ProbeDebouncer } from '../../electron/main/network-watcher';
import { applicationMenuTemplate, trayMenuTemplate } from '../../electron/main/menu';
import { stringsFor } from '../../electron/main/strings';
import { createDispatcher } from '../../electron/host/dispatch';
import { methodNames } from '../../shared/ipc';
import type { Clock } from '../../electron/main/clock';
import { createFakeCore, sampleSettings } from '../support/fake-core';
import { drawTrayIcon } from '../../electron/main/icons/draw';
import { encodePng } from '../../electron/main/icons/png';
import { trayBadges } from '../../electron/main/badge';

const en = stringsFor('en');
const clock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('badge', () => {
  it('labels 1-9, 9+ and none', () => {
    expect([0, 1, 9, 10, 250, -3].map(badgeLabel)).toEqual(['none', '1', '9', '9+', '9+', 'none']);
  });

  it('derives count, tray icon, overlay and tooltip; a dot for muted-only unread', () => {
    expect(badgeState(3, false, en, 'Tern')).toEqual({ count: 3, tray: '3', overlay: { badge: '3', description: 'Tern: 3 unread messages' }, tooltip: 'Tern: 3 unread messages' });
    expect(badgeState(42, true, en, 'Tern')).toMatchObject({ count: 42, tray: '9+' });
    expect(badgeState(0, true, en, 'Tern')).toEqual({ count: 0, tray: 'dot', overlay: null, tooltip: en.mutedUnreadTooltip });
    expect(badgeState(0, false, en, 'Tern')).toEqual({ count: 0, tray: 'none', overlay: null, tooltip: 'Tern' });
  });

  it('tracks muted conversations with unread messages', () => {
    const t = new MutedUnreadTracker();
    t.update([{ key: 'g:1', muted: true, unread: 2 }, { key: 'u:2', muted: false, unread: 5 }]);
    expect(t.any).toBe(true);
    t.update([{ key: 'g:1', muted: true, unread: 0 }]);
    expect(t.any).toBe(false);
    t.update([{ key: 'g:1', muted: true, unread: 1 }]);
    t.remove('g:1');
    expect(t.any).toBe(false);
  });

  it('applies only what changed, with the overlay on Windows only', () => {
    const calls: string[] = [];
    const ctl = new BadgeController({
      setBadgeCount: (n) => calls.push(`count ${n}`),
      setTrayImage: (b) => calls.push(`tray ${b}`),
      setTrayToolTip: (t) => calls.push(`tip ${t}`),
      setOverlay: (b, d) => calls.push(`overlay ${b} ${d}`),
    });
    ctl.apply(badgeState(2, false, en, 'Tern'));
    ctl.apply(badgeState(2, false, en, 'Tern'));
    ctl.apply(badgeState(0, false, en, 'Tern'));
    expect(calls).toEqual([
      'count 2', 'tray 2', 'tip Tern: 2 unread messages', 'overlay 2 Tern: 2 unread messages',
      'count 0', 'tray none', 'tip Tern', 'overlay null ',
    ]);
    const mac: string[] = [];
    new BadgeController({ setBadgeCount: (n) => mac.push(`count ${n}`), setTrayImage: () => {}, setTrayToolTip: () => {}, setOverlay: null }).apply(badgeState(1, false, en, 'Tern'));
    expect(mac).toEqual(['count 1']);
  });

  it('draws a distinct tray icon for every badge state', () => {
    const pngs = new Set(trayBadges.map((b: TrayBadge) => encodePng(drawTrayIcon(32, b)).toString('base64')));
    expect(pngs.size).toBe(trayBadges.length);
    const icon = drawTrayIcon(32, '9+');
    expect(icon.pixel(26, 6)[0]).toBeGreaterThan(200); // red/white badge in the top-right corner
    expect(drawTrayIcon(32, 'none').pixel(16, 16)[3]).toBe(255);
    expect(encodePng(icon).subarray(1, 4).toString()).toBe('PNG');
  });
});

function fakeWindow(init: Partial<Record<'visible' | 'minimized' | 'focused', boolean>> = {}) {
  const s = { visible: true, minimized: false, focused: true, flashing: false, ...init };
  const log: string[] = [];
  const win: ControlledWindow = {
    isDestroyed: () => false,
    isVisible: () => s.visible,
    isMinimized: () => s.minimized,
    isFocused: () => s.focused,
    show: () => { s.visible = true; log.push('show'); },
    hide: () => { s.visible = false; log.push('hide'); },
    restore: () => { s.minimized = false; log.push('restore'); },
    focus: () => { s.focused = true; log.push('focus'); },
    flashFrame: (f) => { s.flashing = f; log.push(`flash ${f}`); },
  };
  return { win, s, log };
}

describe('window controller', () => {
  it('knows when the user is looking: visible, not minimised, focused', () => {
    for (const [init, front] of [
      [{}, true],
      [{ visible: false }, false],
      [{ minimized: true }, false],
      [{ focused: false }, false],
    ] as const) {
      const { win } = fakeWindow(init);
      expect(new WindowController(() => win, () => ({ closeToTray: true }), 'linux').isInFront()).toBe(front);
    }
  });

  it('brings a minimised hidden window to front and stops flashing', () => {
    const { win, log } = fakeWindow({ visible: false, minimized: true, focused: false });
    new WindowController(() => win, () => ({ closeToTray: true }), 'win32').bringToFront();
    expect(log).toEqual(['restore', 'show', 'focus', 'flash false']);
  });

  it('flashes only when not in front; bounces the dock on macOS', () => {
    const a = fakeWindow({ focused: false });
    new WindowController(() => a.win, () => ({ closeToTray: true }), 'linux').requestAttention();
    expect(a.s.flashing).toBe(true);
    const b = fakeWindow();
    new WindowController(() => b.win, () => ({ closeToTray: true }), 'linux').requestAttention();
    expect(b.s.flashing).toBe(false);
    let bounced = 0;
    const c = fakeWindow({ visible: false });
    new WindowController(() => c.win, () => ({ closeToTray: true }), 'darwin', () => bounced++).requestAttention();
    expect(bounced).toBe(1);
  });

  it('close hides to tray when the setting is on, closes when off or quitting', () => {
    const { win, log } = fakeWindow();
    const settings = { closeToTray: true };
    const ctl = new WindowController(() => win, () => settings, 'linux');
    const ev = { prevented: false, preventDefault() { this.prevented = true; } };
    expect(ctl.onClose(ev)).toBe('hide');
    expect(ev.prevented).toBe(true);
    expect(log).toEqual(['hide']);
    settings.closeToTray = false;
    expect(ctl.onClose({ preventDefault: () => {} })).toBe('close');
    settings.closeToTray = true;
    ctl.markQuitting();
    expect(ctl.onClose({ preventDefault: () => {} })).toBe('close');
  });

  it('starts hidden with --hidden or the setting', () => {
    expect(WindowController.startHidden(['electron', '.', '--hidden'], false)).toBe(true);
    expect(WindowController.startHidden(['electron', '.'], true)).toBe(true);
    expect(WindowController.startHidden(['electron', '.'], false)).toBe(false);
  });
});

describe('window state', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1040 }];

  it('parses saved state defensively', () => {
    expect(parseWindowState(null)).toBeNull();
    expect(parseWindowState('{bad')).toBeNull();
    expect(parseWindowState('{"bounds":{"x":1,"y":2,"width":"w","height":4}}')).toBeNull();
    expect(parseWindowState('{"bounds":{"x":1,"y":2,"width":800,"height":600},"maximized":true}')).toEqual({ bounds: { x: 1, y: 2, width: 800, height: 600 }, maximized: true });
  });

  it('restores bounds on a display, recentres when the display is gone, clamps sizes', () => {
    expect(initialBounds(null, screen)).toEqual({ bounds: defaultWindowSize, maximized: false });
    expect(initialBounds({ bounds: { x: 100, y: 50, width: 900, height: 700 }, maximized: true }, screen)).toEqual({ bounds: { x: 100, y: 50, width: 900, height: 700 }, maximized: true });
    // Saved on a second monitor that is no longer connected:
    expect(initialBounds({ bounds: { x: 2500, y: 100, width: 900, height: 700 }, maximized: false }, screen).bounds).toEqual({ width: 900, height: 700 });
    expect(initialBounds({ bounds: { x: 0, y: 0, width: 5000, height: 100 }, maximized: false }, screen).bounds).toMatchObject({ width: 1920, height: 480 });
  });

  it('saves after moves (debounced) and on close', () => {
    const writes: string[] = [];
    const win = { getNormalBounds: () => ({ x: 1, y: 2, width: 800, height: 600 }), isMaximized: () => false, isMinimized: () => false, isFullScreen: () => false };
    const keeper = new WindowStateKeeper(win, (j) => writes.push(j), clock, 500);
    keeper.changed();
    keeper.changed();
    vi.advanceTimersByTime(499);
    expect(writes).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(writes).toHaveLength(1);
    keeper.changed();
    keeper.saveNow();
    vi.advanceTimersByTime(1000);
    expect(writes).toHaveLength(2);
    expect(parseWindowState(writes[1]!)).toEqual({ bounds: { x: 1, y: 2, width: 800, height: 600 }, maximized: false });
  });
});

describe('security', () => {
  const origin = { indexFileUrl: 'file:///opt/Tern/resources/app.asar/out/renderer/index.html' };
  const dev = { ...origin, devServerUrl: 'http://localhost:5173' };
  const ev = (url: string, parent: unknown = null, id = 1) => ({ senderFrame: { url, parent }, sender: { id } });

  it('accepts only our window’s main frame on our own page', () => {
    expect(isTrustedSender(ev('file:///opt/Tern/resources/app.asar/out/renderer/index.html#/chat'), 1, origin)).toBe(true);
    expect(isTrustedSender(ev('file:///tmp/evil.html'), 1, origin)).toBe(false);
    expect(isTrustedSender(ev('file:///opt/Tern/resources/app.asar/out/renderer/index.html', {}), 1, origin)).toBe(false); // subframe
    expect(isTrustedSender(ev('file:///opt/Tern/resources/app.asar/out/renderer/index.html', null, 2), 1, origin)).toBe(false); // other webContents
    expect(isTrustedSender({ senderFrame: null, sender: { id: 1 } }, 1, origin)).toBe(false);
    expect(isTrustedSender(ev('https://example.com/'), 1, origin)).toBe(false);
    expect(isTrustedSender(ev('http://localhost:5173/'), 1, dev)).toBe(true);
    expect(isTrustedSender(ev('http://localhost:5174/'), 1, dev)).toBe(false);
    expect(isTrustedSender(ev('http://localhost:5173/'), 1, origin)).toBe(false);
    expect(isNavigationAllowed('https://example.com/', origin)).toBe(false);
  });

  it('opens only plain http(s) links externally', () => {
    expect(isAllowedExternalUrl('https://example.com/a?b')).toBe(true);
    expect(isAllowedExternalUrl('http://example.com')).toBe(true);
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:/id', 'https://user:pw@example.com', 'not a url', 'https://' + 'a'.repeat(3000)]) {
      expect(isAllowedExternalUrl(bad)).toBe(false);
    }
  });

  it('grants notifications and nothing else', () => {
    expect(isPermissionAllowed('notifications')).toBe(true);
    for (const p of ['media', 'geolocation', 'openExternal', 'clipboard-read', 'fullscreen']) expect(isPermissionAllowed(p)).toBe(false);
  });
});

describe('IPC wiring', () => {
  it('registers one handler per method, validates, routes and refuses untrusted frames', async () => {
    vi.useRealTimers();
    const handlers = new Map<string, (event: never, ...args: unknown[]) => Promise<unknown>>();
    const ipcMain = { handle: (c: string, fn: (event: never, ...args: unknown[]) => Promise<unknown>) => handlers.set(c, fn), removeHandler: (c: string) => handlers.delete(c) };
    const core = createFakeCore();
    const dispatch = createDispatcher(core, {
      getAppInfo: async () => ({ name: 'Tern', version: '1', shell: 'electron', platform: 'linux' }),
      getUpdateStatus: async () => ({ state: 'idle', channel: 'stable', currentVersion: '1' }),
      checkForUpdates: async () => ({ state: 'checking', channel: 'stable', currentVersion: '1' }),
      installUpdate: async () => undefined,
      exportDebugLog: async () => null,
      skipUpdate: async ({ version }) => ({ state: 'available', channel: 'stable', currentVersion: '1', ...(version ? { availableVersion: version, skipped: true } : {}) }),
      saveAttachmentAs: async () => ({}),
      openAttachment: async () => undefined,
      showAttachmentInFolder: async () => undefined,
    });
    const trusted = { senderFrame: { url: 'file:///x/index.html', parent: null }, sender: { id: 1 } };
    const untrusted = { senderFrame: { url: 'https://evil/', parent: null }, sender: { id: 1 } };
    const off = registerIpc(ipcMain as never, dispatch, (e) => e === trusted);
    expect([...handlers.keys()].sort()).toEqual(methodNames.map((m) => `tern:${m}`).sort());
    const call = (m: string, e: unknown, a: unknown) => handlers.get(`tern:${m}`)!(e as never, a);
    expect(await call('getSettings', trusted, {})).toEqual({ ok: true, value: sampleSettings });
    expect(await call('getAppInfo', trusted, {})).toMatchObject({ ok: true, value: { shell: 'electron' } });
    // Shell methods get their validated argument too.
    expect(await call('skipUpdate', trusted, { version: '2.0.0' })).toMatchObject({ ok: true, value: { availableVersion: '2.0.0', skipped: true } });
    expect(await call('skipUpdate', trusted, { version: '2.0.0\nx' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await call('getSettings', untrusted, {})).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await call('markRead', trusted, { key: 'nope' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(core.calls).toEqual([{ method: 'getSettings', args: {} }]);
    off();
    expect(handlers.size).toBe(0);
  });

  it('sends events to the live window only', () => {
    const sent: Array<[string, unknown]> = [];
    let destroyed = false;
    const send = createEventSender(() => ({ isDestroyed: () => destroyed, send: (c, p) => sent.push([c, p]) }));
    send('unreadTotal', { total: 1 });
    destroyed = true;
    send('unreadTotal', { total: 2 });
    expect(sent).toEqual([['tern:event:unreadTotal', { total: 1 }]]);
    createEventSender(() => null)('unreadTotal', { total: 3 });
  });
});

describe('quit', () => {
  it('holds the first before-quit until the core is disposed, then quits once', async () => {
    let quits = 0;
    let resolveDispose!: () => void;
    const q = new QuitController(() => new Promise<void>((r) => (resolveDispose = r)), () => quits++, clock);
    const ev = { n: 0, preventDefault() { this.n++; } };
    q.onBeforeQuit(ev);
    q.onBeforeQuit(ev);
    expect(ev.n).toBe(2);
    expect(quits).toBe(0);
    resolveDispose();
    await vi.advanceTimersByTimeAsync(0);
    expect(quits).toBe(1);
    const ev2 = { n: 0, preventDefault() { this.n++; } };
    q.onBeforeQuit(ev2);
    expect(ev2.n).toBe(0);
  });

  it('lets an updater-driven quit through once the core is disposed', async () => {
    let disposed = 0;
    let quits = 0;
    const q = new QuitController(async () => void disposed++, () => quits++, clock);
    await q.prepareExternalQuit();
    const ev = { n: 0, preventDefault() { this.n++; } };
    q.onBeforeQuit(ev);
    expect([disposed, ev.n, quits]).toEqual([1, 0, 0]);
  });

  it('quits anyway when the core does not finish in time', async () => {
    let quits = 0;
    const warnings: string[] = [];
    const q = new QuitController(() => new Promise<void>(() => undefined), () => quits++, clock, { info() {}, warn: (_o, m) => warnings.push(m), error() {} }, 5000);
    q.onBeforeQuit({ preventDefault() {} });
    await vi.advanceTimersByTimeAsync(5000);
    expect(quits).toBe(1);
    expect(warnings).toHaveLength(1);
  });
});

describe('network and power', () => {
  it('probes once on the offline -> online edge', () => {
    let online = false;
    let probes = 0;
    const w = new NetworkWatcher(() => online, () => probes++, clock, 1000);
    vi.advanceTimersByTime(3000);
    expect(probes).toBe(0);
    online = true;
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(5000);
    expect(probes).toBe(1);
    w.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('coalesces resume + network change into one probe', () => {
    const core = createFakeCore();
    const d = new ProbeDebouncer(() => core.probe(), clock, 1000);
    d.request();
    d.request();
    vi.advanceTimersByTime(1000);
    d.request();
    vi.advanceTimersByTime(1000);
    expect(core.probes).toBe(2);
  });
});

describe('menus', () => {
  const actions = { showWindow: vi.fn(), checkForUpdates: vi.fn(), installUpdate: vi.fn(), exportDebugLog: vi.fn(), quit: vi.fn() };
  type Item = { role?: string; label?: string; accelerator?: string; submenu?: Item[]; click?: () => void };
  const flat = (items: Item[]): Item[] => items.flatMap((i) => [i, ...flat(i.submenu ?? [])]);

  it('has the usual roles and shortcuts on every platform', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const items = flat(applicationMenuTemplate(platform, 'Tern', en, actions, false, false) as Item[]);
      const roles = items.map((i) => i.role).filter(Boolean);
      for (const r of ['copy', 'paste', 'cut', 'selectAll', 'undo', 'redo', 'zoomIn', 'zoomOut', 'resetZoom', 'togglefullscreen']) expect(roles).toContain(r);
      expect(items.find((i) => i.label === en.quit)?.accelerator).toBe('CmdOrCtrl+Q');
      expect(roles).not.toContain('toggleDevTools');
    }
    expect(flat(applicationMenuTemplate('linux', 'Tern', en, actions, false, true) as Item[]).map((i) => i.role)).toContain('toggleDevTools');
  });

  it('Help offers “Export Debug Log…”', () => {
    const items = flat(applicationMenuTemplate('linux', 'Tern', en, actions, false, false) as Item[]);
    items.find((i) => i.label === en.exportDebugLog)!.click!();
    expect(actions.exportDebugLog).toHaveBeenCalledTimes(1);
  });

  it('offers restart-to-update once an update is ready', () => {
    const ready = flat(trayMenuTemplate(en, actions, true) as Item[]);
    ready.find((i) => i.label === en.restartToUpdate)!.click!();
    expect(actions.installUpdate).toHaveBeenCalled();
    expect(flat(trayMenuTemplate(en, actions, false) as Item[]).some((i) => i.label === en.restartToUpdate)).toBe(false);
  });
});

describe('start-up configuration', () => {
  it('reads TERN_SERVERS with the contract schema and ignores anything invalid', async () => {
    const { parseServersEnv, validUpdateUrl } = await import('../../electron/main/config');
    const key = 'B'.repeat(43) + '=';
    expect(parseServersEnv(JSON.stringify([{ host: '127.0.0.1', port: 7800, publicKey: key }]))).toEqual([{ host: '127.0.0.1', port: 7800, publicKey: key }]);
    expect(parseServersEnv(undefined)).toEqual([]);
    expect(parseServersEnv('not json')).toEqual([]);
    expect(parseServersEnv(JSON.stringify([{ host: 'x', port: 0, publicKey: key }]))).toEqual([]);
    expect(parseServersEnv(JSON.stringify([{ host: 'x', port: 1, publicKey: 'short' }]))).toEqual([]);
    expect(validUpdateUrl('https://updates.example.com/tern/')).toBe('https://updates.example.com/tern/');
    expect(validUpdateUrl('http://updates.example.com/')).toBeNull();
    expect(validUpdateUrl('http://localhost:8080/feed/')).toBe('http://localhost:8080/feed/');
    expect(validUpdateUrl('')).toBeNull();
  });

  it('turns thrown errors into ErrorInfo without stacks, keeping typed codes', async () => {
    const { toErrorInfo } = await import('../../electron/host/errors');
    expect(toErrorInfo(Object.assign(new Error('nope'), { code: 'BAD_CREDENTIALS' }))).toEqual({ code: 'BAD_CREDENTIALS', message: 'nope' });
    expect(toErrorInfo(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom' });
    expect(toErrorInfo(Object.assign(new Error('x'), { code: 'lower case; injected' })).code).toBe('INTERNAL');
    expect(toErrorInfo('plain').code).toBe('INTERNAL');
    expect(toErrorInfo(new Error('y'.repeat(2000))).message.length).toBe(500);
  });
});
