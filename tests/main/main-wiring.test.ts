// Smoke test of electron/main/index.ts with every Electron object faked
// (the binary cannot run here): the wiring registers the contract, builds a
// secure window, forwards events, notifies, badges, and disposes on quit.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { methodNames, type MessageView } from '../../shared/ipc';
import { createFakeCore, sampleSettings, type FakeCore } from '../support/fake-core';
import type * as CoreThreadModule from '../../electron/host/core-thread';

const h = vi.hoisted(() => {
  type Fn = (...args: unknown[]) => unknown;
  const listeners = new Map<string, Fn[]>();
  const emitter = (prefix: string) => ({
    on: (ev: string, fn: Fn) => {
      const k = `${prefix}:${ev}`;
      listeners.set(k, [...(listeners.get(k) ?? []), fn]);
    },
    once: (ev: string, fn: Fn) => {
      const k = `${prefix}:${ev}`;
      listeners.set(k, [...(listeners.get(k) ?? []), fn]);
    },
  });
  const fire = (key: string, ...args: unknown[]) => (listeners.get(key) ?? []).map((fn) => fn(...args));
  const state = {
    userData: '',
    windows: [] as Array<{ options: Record<string, unknown>; sent: Array<[string, unknown]>; visible: boolean; focused: boolean; flashed: boolean }>,
    handlers: new Map<string, Fn>(),
    notifications: [] as Array<{ title: string; body: string; shown: boolean; fire: (ev: string) => void }>,
    badge: [] as number[],
    trayTooltips: [] as string[],
    quits: 0,
    permissionHandler: null as null | Fn,
    headersHandler: null as null | Fn,
    openedExternal: [] as string[],
    protocolClients: [] as string[],
    spellcheck: { enabled: [] as boolean[], languages: [] as string[][], added: [] as string[] },
    menus: [] as Array<{ template: Array<{ label?: string; role?: string; click?: () => void }>; popups: number }>,
    replaced: [] as string[],
    clipboard: [] as string[],
    savePath: '',
  };
  return { listeners, emitter, fire, state };
});

let core: FakeCore;
const threadStarts: Array<{ entry: URL; config: { dataDir: string; logLevel: string; clientName: string; dataKey?: { key: Uint8Array; protection: string; replaced: boolean } } }> = [];

// The core's thread is plain Node, tested for real in tests/host; here it is the fake core.
vi.mock('../../electron/host/core-thread', async (importOriginal) => ({
  ...(await importOriginal<typeof CoreThreadModule>()),
  startCoreThread: async (options: (typeof threadStarts)[number]) => {
    threadStarts.push(options);
    return core;
  },
}));
vi.mock('electron-updater', () => ({ default: { autoUpdater: {} } }));
vi.mock('electron', () => {
  const { emitter, state } = h;
  class BrowserWindow {
    private readonly w;
    readonly webContents;
    constructor(options: Record<string, unknown>) {
      this.w = { options, sent: [] as Array<[string, unknown]>, visible: false, focused: false, flashed: false };
      h.state.windows.push(this.w);
      const w = this.w;
      this.webContents = { id: 1, isDestroyed: () => false, send: (c: string, p: unknown) => w.sent.push([c, p]), replaceMisspelling: (word: string) => state.replaced.push(word), ...emitter('wc') };
      Object.assign(this, emitter('win'));
    }
    loadFile() {
      h.fire('wc:did-start-loading');
      h.fire('win:ready-to-show');
      setTimeout(() => h.fire('wc:did-finish-load'), 0); // as in Electron: after loadFile returns
      return Promise.resolve();
    }
    loadURL() { return Promise.resolve(); }
    isDestroyed() { return false; }
    isVisible() { return this.w.visible; }
    isMinimized() { return false; }
    isFocused() { return this.w.focused; }
    isMaximized() { return false; }
    isFullScreen() { return false; }
    show() { this.w.visible = true; }
    hide() { this.w.visible = false; }
    restore() {}
    focus() { this.w.focused = true; }
    maximize() {}
    flashFrame(f: boolean) { this.w.flashed = f; }
    getNormalBounds() { return { x: 0, y: 0, width: 1000, height: 700 }; }
    setOverlayIcon() {}
  }
  class Tray {
    constructor() { Object.assign(this, emitter('tray')); }
    setToolTip(t: string) { state.trayTooltips.push(t); }
    setContextMenu() {}
    setImage() {}
  }
  class Notification {
    static isSupported() { return true; }
    private readonly n;
    constructor(o: { title: string; body: string }) {
      const handlers = new Map<string, () => void>();
      this.n = { title: o.title, body: o.body, shown: false, handlers, fire: (ev: string) => handlers.get(ev)?.() };
      state.notifications.push(this.n);
    }
    on(ev: string, fn: () => void) { this.n.handlers.set(ev, fn); }
    show() { this.n.shown = true; }
    close() {}
  }
  return {
    app: {
      ...emitter('app'),
      requestSingleInstanceLock: () => true,
      setPath: () => undefined,
      getPath: () => state.userData,
      setAppUserModelId: () => undefined,
      off: () => undefined,
      setAsDefaultProtocolClient: (scheme: string) => state.protocolClients.push(scheme),
      getLoginItemSettings: () => ({ wasOpenedAtLogin: false }),
      setLoginItemSettings: () => undefined,
      isPackaged: false,
      getVersion: () => '9.9.9',
      getLocale: () => 'en-US',
      whenReady: () => Promise.resolve(),
      quit: () => { state.quits++; },
      setBadgeCount: (n: number) => state.badge.push(n),
      dock: undefined,
    },
    BrowserWindow,
    Tray,
    Notification,
    ipcMain: { handle: (c: string, fn: (...a: unknown[]) => unknown) => state.handlers.set(c, fn), removeHandler: (c: string) => state.handlers.delete(c) },
    Menu: {
      buildFromTemplate: (template: Array<{ label?: string; role?: string; click?: () => void }>) => {
        const menu = { template, popups: 0 };
        state.menus.push(menu);
        return { template, popup: () => menu.popups++ };
      },
      setApplicationMenu: () => undefined,
    },
    clipboard: { writeText: (t: string) => state.clipboard.push(t) },
    dialog: { showSaveDialog: async () => ({ canceled: false, filePath: state.savePath }) },
    nativeImage: { createFromBuffer: () => ({ addRepresentation: () => undefined }) },
    net: { isOnline: () => true },
    powerMonitor: emitter('power'),
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: (...a: unknown[]) => unknown) => (state.permissionHandler = fn),
        setPermissionCheckHandler: () => undefined,
        webRequest: { onHeadersReceived: (fn: (...a: unknown[]) => unknown) => (state.headersHandler = fn) },
        availableSpellCheckerLanguages: ['de', 'en-GB', 'en-US', 'fr'],
        setSpellCheckerEnabled: (on: boolean) => state.spellcheck.enabled.push(on),
        setSpellCheckerLanguages: (langs: string[]) => state.spellcheck.languages.push(langs),
        addWordToSpellCheckerDictionary: (word: string) => state.spellcheck.added.push(word),
      },
    },
    shell: { openExternal: (u: string) => { state.openedExternal.push(u); return Promise.resolve(); } },
    // A keychain that "encrypts" by reversing the bytes and prefixing a tag (the real one is tested in tests/main/data-key.test.ts).
    safeStorage: {
      isEncryptionAvailable: () => true,
      getSelectedStorageBackend: () => 'gnome_libsecret',
      encryptString: (t: string) => Buffer.concat([Buffer.from('kc:'), Buffer.from(t).reverse()]),
      decryptString: (b: Buffer) => Buffer.from(b.subarray(3)).reverse().toString(),
    },
  };
});

/**
 * Every test starts its own main process: fresh fakes, a fresh module graph
 * (electron/main/index.ts runs again), a fresh core. No test sees another's
 * windows, notifications, badge, menus or quit.
 */
let processListenersBefore = { uncaughtException: process.listeners('uncaughtException'), unhandledRejection: process.listeners('unhandledRejection') };

beforeEach(async () => {
  h.listeners.clear();
  threadStarts.length = 0;
  const userData = mkdtempSync(join(tmpdir(), 'tern-main-'));
  Object.assign(h.state, {
    userData,
    windows: [],
    handlers: new Map(),
    notifications: [],
    badge: [],
    trayTooltips: [],
    quits: 0,
    permissionHandler: null,
    headersHandler: null,
    openedExternal: [],
    protocolClients: [],
    spellcheck: { enabled: [], languages: [], added: [] },
    menus: [],
    replaced: [],
    clipboard: [],
    savePath: join(userData, 'exported-debug.log'),
  });
  // The app was started by a tern:// link (as Windows and Linux pass it).
  process.argv.push('tern://user/alice');
  core = createFakeCore({
    getSession: async () => ({ account: { userId: 1 } }) as never,
    getConversation: async (a: never) => ({ key: (a as { key: string }).key, type: 'direct', title: 'Bob', unread: 1, muted: false }) as never,
  });
  processListenersBefore = { uncaughtException: process.listeners('uncaughtException'), unhandledRejection: process.listeners('unhandledRejection') };
  vi.resetModules();
  await import('../../electron/main/index');
  await vi.waitFor(() => expect(h.state.windows).toHaveLength(1));
  await vi.waitFor(() => expect(h.listeners.has('app:before-quit')).toBe(true));
  process.argv.pop();
  // The start link is delivered once the page has loaded (and brings the window to the front): let that happen first.
  await vi.waitFor(() => expect(h.state.windows[0]!.sent.some(([c]) => c === 'tern:event:openUser')).toBe(true));
});

afterEach(async () => {
  // Quit this instance (unless the test did): the core is disposed, handlers and timers released.
  if (h.state.quits === 0) {
    h.fire('app:before-quit', { preventDefault: () => undefined });
    await vi.waitFor(() => expect(h.state.quits).toBe(1));
  }
  // The instance's process-wide handlers (they log to its log, closed now) go with it.
  for (const listener of process.listeners('uncaughtException')) if (!processListenersBefore.uncaughtException.includes(listener)) process.off('uncaughtException', listener);
  for (const listener of process.listeners('unhandledRejection')) if (!processListenersBefore.unhandledRejection.includes(listener)) process.off('unhandledRejection', listener);
  rmSync(h.state.userData, { recursive: true, force: true });
});

/** An IPC event from our window's page. */
function trustedEvent() {
  return { sender: { id: 1 }, senderFrame: { url: pathToFileURL(join(import.meta.dirname, '../../electron/renderer/index.html')).toString(), parent: null } };
}

describe('electron/main/index.ts wiring', () => {
  it('runs the core on a worker thread: the bundled entry beside main, data under userData', () => {
    expect(threadStarts).toHaveLength(1);
    const { entry, config } = threadStarts[0]!;
    expect(entry.protocol).toBe('file:');
    expect(entry.pathname).toMatch(/[/\\]core-worker\.js$/);
    expect(config).toMatchObject({ dataDir: join(h.state.userData, 'data'), logLevel: 'info', clientName: 'tern-desktop/9.9.9 ' + process.platform });
  });

  it('gives the core the data key from the OS keychain (safeStorage), kept on disk only in its sealed form', () => {
    const { dataKey } = threadStarts[0]!.config;
    expect(dataKey).toMatchObject({ protection: 'os-keychain', replaced: false });
    expect(dataKey!.key).toHaveLength(32);
    const sealed = readFileSync(join(h.state.userData, 'data', 'data.key.keychain'));
    expect(sealed.subarray(0, 3).toString()).toBe('kc:');
    expect(sealed.includes(Buffer.from(Buffer.from(dataKey!.key).toString('base64')))).toBe(false);
  });

  it('opens a sandboxed, isolated window with the CJS preload', () => {
    const prefs = h.state.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.cjs$/);
    expect(h.state.windows[0]!.visible).toBe(true);
  });

  it('registers exactly one handler per contract method and refuses foreign frames', async () => {
    expect([...h.state.handlers.keys()].sort()).toEqual(methodNames.map((m) => `tern:${m}`).sort());
    const handler = h.state.handlers.get('tern:getAppInfo')!;
    const foreign = { sender: { id: 1 }, senderFrame: { url: 'https://evil.example/', parent: null } };
    expect(await handler(foreign, {})).toMatchObject({ ok: false });
  });

  it('denies permissions except notifications and sets the CSP header', () => {
    const answers: boolean[] = [];
    h.state.permissionHandler!(null, 'media', (ok: boolean) => answers.push(ok));
    h.state.permissionHandler!(null, 'notifications', (ok: boolean) => answers.push(ok));
    expect(answers).toEqual([false, true]);
    let headers: Record<string, string[]> = {};
    h.state.headersHandler!({ responseHeaders: {} }, (r: { responseHeaders: Record<string, string[]> }) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']![0]).toContain("script-src 'self'");
  });

  it('forwards core events to the window and updates the badge', async () => {
    core.emit('unreadTotal', { total: 4 });
    const sent = h.state.windows[0]!.sent;
    expect(sent).toContainEqual(['tern:event:unreadTotal', { total: 4 }]);
    expect(h.state.badge.at(-1)).toBe(4);
    expect(h.state.trayTooltips.at(-1)).toBe('Tern: 4 unread messages');
  });

  it('notifies a new message when the window is not focused; a click opens the conversation', async () => {
    h.state.windows[0]!.focused = false;
    const m: MessageView = { id: 'x1', conversationKey: 'u:2', senderId: 2, outgoing: false, text: 'hello from bob', mentions: [], sentAt: 1, status: 'sent', recalled: false };
    core.emit('messagesChanged', { messages: [m] });
    await vi.waitFor(() => expect(h.state.notifications).toHaveLength(1), { timeout: 3000 });
    expect(h.state.notifications[0]).toMatchObject({ title: 'Bob', body: 'hello from bob', shown: true });
    expect(h.state.windows[0]!.flashed).toBe(true);
    h.state.notifications[0]!.fire('click');
    expect(h.state.windows[0]!.sent).toContainEqual(['tern:event:openConversation', { key: 'u:2' }]);
    expect(h.state.windows[0]!.focused).toBe(true);
  });

  it('opens tern:// links: the one that started the app once the page has loaded, and those of later launches', async () => {
    expect(h.state.protocolClients).toEqual(['tern']);
    const sent = h.state.windows[0]!.sent;
    await vi.waitFor(() => expect(sent).toContainEqual(['tern:event:openUser', { username: 'alice' }]));
    h.fire('app:second-instance', {}, ['/opt/Tern/tern', 'tern://chat/g/42']);
    expect(sent).toContainEqual(['tern:event:openConversation', { key: 'g:42' }]);
    // A bad link opens nothing.
    const before = sent.length;
    h.fire('app:second-instance', {}, ['/opt/Tern/tern', 'tern://chat/g/42?evil=1']);
    h.fire('app:second-instance', {}, ['/opt/Tern/tern', 'tern://settings/reset']);
    expect(sent.slice(before).filter(([c]) => c.startsWith('tern:event:open'))).toEqual([]);
  });

  it('right-click: spelling suggestions and edit actions in the app’s language', () => {
    const params = { isEditable: true, selectionText: '', linkURL: '', misspelledWord: 'helo', dictionarySuggestions: ['hello', 'help'], editFlags: { canCut: false, canCopy: false, canPaste: true, canSelectAll: true } };
    h.fire('wc:context-menu', {}, params);
    const menu = h.state.menus.at(-1)!;
    expect(menu.popups).toBe(1);
    expect(menu.template.map((i) => i.label ?? i.role)).toEqual(['hello', 'help', 'Add to Dictionary', undefined, 'Cut', 'Copy', 'Paste', 'Select All']);
    menu.template[0]!.click!();
    menu.template[2]!.click!();
    expect(h.state.replaced).toEqual(['hello']);
    expect(h.state.spellcheck.added).toEqual(['helo']);
    // Nothing to offer: no menu at all.
    const count = h.state.menus.length;
    h.fire('wc:context-menu', {}, { ...params, isEditable: false, misspelledWord: '', dictionarySuggestions: [] });
    expect(h.state.menus.length).toBe(count);
  });

  it('applies the spelling settings at start and when they change', async () => {
    expect(h.state.spellcheck.enabled.at(-1)).toBe(true);
    expect(h.state.spellcheck.languages.at(-1)).toEqual(['en-US']);
    core.emit('settingsChanged', { ...sampleSettings, spellcheck: { enabled: true, languages: ['de', 'xx-YY'] } });
    expect(h.state.spellcheck.languages.at(-1)).toEqual(['de']);
    core.emit('settingsChanged', { ...sampleSettings, spellcheck: { enabled: false, languages: ['de'] } });
    expect(h.state.spellcheck.enabled.at(-1)).toBe(false);
    const info = await h.state.handlers.get('tern:getAppInfo')!(trustedEvent(), {});
    expect(info).toMatchObject({ ok: true, value: { shell: 'electron', desktop: { spellcheckLanguages: ['de', 'en-GB', 'en-US', 'fr'], startAtLogin: false, debugLog: true } } });
  });

  it('exports a debug log where the user chose, with the facts and the log, without secrets', async () => {
    const result = await h.state.handlers.get('tern:exportDebugLog')!(trustedEvent(), {});
    expect(result).toEqual({ ok: true, value: { path: h.state.savePath } });
    const text = readFileSync(h.state.savePath, 'utf8');
    expect(text.startsWith('# Tern debug log\n')).toBe(true);
    expect(text).toContain('# app: Tern 9.9.9');
    expect(text).toContain('# proxy: none');
    expect(text).toMatch(/"msg":"started"/);
    expect(text).not.toContain('hello from bob');
    expect(statSync(h.state.savePath).mode & 0o777).toBe(0o600);
  });

  it('probes the core on resume', async () => {
    h.fire('power:resume');
    await vi.waitFor(() => expect(core.probes).toBe(1), { timeout: 3000 });
  });

  it('holds the quit until the core is disposed, then quits', async () => {
    let prevented = 0;
    h.fire('app:before-quit', { preventDefault: () => prevented++ });
    expect(prevented).toBe(1);
    await vi.waitFor(() => expect(h.state.quits).toBe(1));
    expect(core.disposed).toBe(1);
    expect(h.state.handlers.size).toBe(0);
  });
});
