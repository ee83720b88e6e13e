// Smoke test of electron/main/index.ts with every Electron object faked
// (the binary cannot run here): the wiring registers the contract, builds a
// secure window, forwards events, notifies, badges, and disposes on quit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { methodNames, type MessageView } from '../../shared/ipc';
import { createFakeCore, type FakeCore } from '../support/fake-core';
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
  };
  return { listeners, emitter, fire, state };
});

let core: FakeCore;
const threadStarts: Array<{ entry: URL; config: { dataDir: string; logLevel: string; clientName: string } }> = [];

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
      this.webContents = { id: 1, isDestroyed: () => false, send: (c: string, p: unknown) => w.sent.push([c, p]) };
      Object.assign(this, emitter('win'));
    }
    loadFile() { h.fire('win:ready-to-show'); return Promise.resolve(); }
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
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: () => undefined },
    nativeImage: { createFromBuffer: () => ({ addRepresentation: () => undefined }) },
    net: { isOnline: () => true },
    powerMonitor: emitter('power'),
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: (...a: unknown[]) => unknown) => (state.permissionHandler = fn),
        setPermissionCheckHandler: () => undefined,
        webRequest: { onHeadersReceived: (fn: (...a: unknown[]) => unknown) => (state.headersHandler = fn) },
      },
    },
    shell: { openExternal: (u: string) => { state.openedExternal.push(u); return Promise.resolve(); } },
  };
});

beforeAll(async () => {
  h.state.userData = mkdtempSync(join(tmpdir(), 'tern-main-'));
  core = createFakeCore({
    getSession: async () => ({ account: { userId: 1 } }) as never,
    getConversation: async (a: never) => ({ key: (a as { key: string }).key, type: 'direct', title: 'Bob', unread: 1, muted: false }) as never,
  });
  await import('../../electron/main/index');
  await vi.waitFor(() => expect(h.state.windows).toHaveLength(1));
  await vi.waitFor(() => expect(h.listeners.has('app:before-quit')).toBe(true));
});

afterAll(() => rmSync(h.state.userData, { recursive: true, force: true }));

describe('electron/main/index.ts wiring', () => {
  it('runs the core on a worker thread: the bundled entry beside main, data under userData', () => {
    expect(threadStarts).toHaveLength(1);
    const { entry, config } = threadStarts[0]!;
    expect(entry.protocol).toBe('file:');
    expect(entry.pathname).toMatch(/[/\\]core-worker\.js$/);
    expect(config).toMatchObject({ dataDir: join(h.state.userData, 'data'), logLevel: 'info', clientName: 'tern-desktop/9.9.9 ' + process.platform });
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
