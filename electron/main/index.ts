/**
 * Electron main process: wires the plain modules of this folder to Electron.
 * Every decision lives in those modules (tested with fakes); this file only
 * connects them to BrowserWindow, Tray, Notification, ipcMain, powerMonitor
 * and electron-updater.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, net, Notification, powerMonitor, screen, session, shell, Tray, type NativeImage } from 'electron';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import type { ConversationKey, MessengerEvents, Settings, UpdateStatus } from '../../shared/ipc';
import { checkCrypto } from '../../shared/node/noise/self-check';
import { logLevelOf, startCoreThread, type ClientCore } from '../host/core-thread';
import { appInfo, productName } from '../host/app-info';
import { contentSecurityPolicy } from '../host/csp';
import { createDispatcher } from '../host/dispatch';
import { forwardEvents } from '../host/events';
import { BadgeController, MutedUnreadTracker, badgeState, trayBadges, type TrayBadge } from './badge';
import { systemClock } from './clock';
import { parseServersEnv, validUpdateUrl } from './config';
import { cryptoReadyAtStart } from './crypto-check';
import { drawAppIcon, drawOverlayIcon, drawTrayIcon } from './icons/draw';
import { encodePng } from './icons/png';
import { createEventSender, registerIpc } from './ipc';
import { applicationMenuTemplate, trayMenuTemplate, type MenuActions } from './menu';
import { NetworkWatcher, ProbeDebouncer } from './network-watcher';
import { NotificationCenter } from './notifications';
import { QuitController } from './quit';
import { isAllowedExternalUrl, isNavigationAllowed, isPermissionAllowed, isTrustedSender, type RendererOrigin } from './security';
import { resolveLang, stringsFor, type MainStrings } from './strings';
import { readAdminPolicy } from './admin-policy';
import { skippedVersionFile } from './skipped-version';
import { createUpdater } from './updater';
import { parsePublicKeys, verifyRelease } from './update-signature';
import { UpdateController } from './updates';
import { WindowController } from './window-controller';
import { WindowStateKeeper, initialBounds, minWindowSize, parseWindowState } from './window-state';

/** Replaced at build time (electron.vite.config.ts) from TERN_UPDATE_URL and TERN_UPDATE_PUBLIC_KEYS. */
declare const __TERN_UPDATE_URL__: string;
declare const __TERN_UPDATE_KEYS__: string;

const here = dirname(fileURLToPath(import.meta.url));
const appId = 'im.tern.desktop';

// Before the lock: the lock is per userData directory, so demo instances with their own TERN_DATA_DIR coexist.
if (process.env.TERN_DATA_DIR) app.setPath('userData', process.env.TERN_DATA_DIR);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void main();
}

async function main(): Promise<void> {
  const userData = app.getPath('userData');
  mkdirSync(join(userData, 'logs'), { recursive: true });
  const log = pino({ name: 'main', level: process.env.TERN_LOG_LEVEL ?? 'info' }, pino.destination({ dest: join(userData, 'logs', 'main.log'), sync: false, mkdir: true }));
  process.on('uncaughtException', (error) => log.error({ err: error.message }, 'uncaught exception'));
  process.on('unhandledRejection', (error) => log.error({ err: String(error) }, 'unhandled rejection'));
  if (process.platform === 'win32') app.setAppUserModelId(appId);

  const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
  const indexFile = join(here, '../renderer/index.html');
  const origin: RendererOrigin = { indexFileUrl: pathToFileURL(indexFile).toString(), ...(devServerUrl ? { devServerUrl } : {}) };

  // Security: permissions, navigation, new windows, CSP (also in index.html's meta for file://).
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isNavigationAllowed(url, origin)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isNavigationAllowed(url, origin)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isAllowedExternalUrl(url)) void shell.openExternal(url);
      else log.warn({ scheme: url.split(':')[0]?.slice(0, 20) }, 'refused to open a link');
      return { action: 'deny' };
    });
  });

  await app.whenReady();
  // Before anything connects: does this Electron have the transport's crypto? (The settings are not loaded yet: system language.)
  if (!cryptoReadyAtStart({ check: () => checkCrypto(), strings: stringsFor(resolveLang('system', app.getLocale())), showError: (t, b) => dialog.showErrorBox(t, b), log })) {
    app.exit(1);
    return;
  }

  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(isPermissionAllowed(permission)));
  ses.setPermissionCheckHandler((_wc, permission) => isPermissionAllowed(permission));
  const csp = contentSecurityPolicy(devServerUrl ? { devServerOrigin: new URL(devServerUrl).origin } : {});
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });

  // The core, on a worker thread: this thread only runs windows, tray, menus and IPC. Restarted if it dies.
  const version = app.getVersion();
  const core: ClientCore = await startCoreThread({
    entry: pathToFileURL(join(here, 'core-worker.js')),
    config: {
      dataDir: join(userData, 'data'),
      defaultServers: parseServersEnv(process.env.TERN_SERVERS),
      deviceName: hostname(),
      clientName: `tern-desktop/${version} ${process.platform}`,
      logLevel: logLevelOf(process.env.TERN_LOG_LEVEL),
    },
    log: log.child({ name: 'core' }),
  });

  let settings: Settings = await core.getSettings({});
  const strings = (): MainStrings => stringsFor(resolveLang(settings.language, app.getLocale()));

  // Window.
  let win: BrowserWindow | null = null;
  const windowController = new WindowController(() => win, () => settings, process.platform, () => app.dock?.bounce('informational'));
  const windowStateFile = join(userData, 'window-state.json');
  const appIcon = nativeImage.createFromBuffer(encodePng(drawAppIcon(256)));

  function createWindow(show: boolean): BrowserWindow {
    let saved = null;
    try {
      saved = parseWindowState(readFileSync(windowStateFile, 'utf8'));
    } catch {
      saved = null;
    }
    const start = initialBounds(saved, screen.getAllDisplays().map((d) => d.workArea));
    const w = new BrowserWindow({
      ...start.bounds,
      minWidth: minWindowSize.width,
      minHeight: minWindowSize.height,
      show: false,
      title: productName,
      icon: appIcon,
      backgroundColor: '#ffffff',
      webPreferences: {
        preload: join(here, '../preload/index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        spellcheck: true,
        // Middle-click must not open new windows (they are denied anyway; see setWindowOpenHandler).
        disableBlinkFeatures: 'Auxclick',
      },
    });
    const keeper = new WindowStateKeeper(w, (json) => writeFileSync(windowStateFile, json), systemClock);
    for (const ev of ['resize', 'move', 'maximize', 'unmaximize'] as const) w.on(ev as 'resize', () => keeper.changed());
    w.on('close', (event) => {
      keeper.saveNow();
      windowController.onClose(event);
    });
    w.on('closed', () => {
      keeper.dispose();
      if (win === w) win = null;
    });
    w.on('focus', () => windowController.onFocus());
    w.once('ready-to-show', () => {
      if (start.maximized) w.maximize();
      if (show) w.show();
    });
    if (devServerUrl) void w.loadURL(devServerUrl);
    else void w.loadFile(indexFile);
    return w;
  }

  const ensureWindow = () => {
    if (!win || win.isDestroyed()) win = createWindow(false);
    windowController.bringToFront();
    if (!win.isVisible()) win.once('ready-to-show', () => windowController.bringToFront());
  };

  app.on('second-instance', () => ensureWindow());
  app.on('activate', () => ensureWindow());

  // Events to the renderer: core events plus the shell's own.
  const sendToRenderer = createEventSender(() => (win && !win.isDestroyed() ? win.webContents : null));
  const stopForwarding = forwardEvents(core, sendToRenderer);

  // Updates.
  const updateKeys = parsePublicKeys(typeof __TERN_UPDATE_KEYS__ === 'string' ? __TERN_UPDATE_KEYS__ : undefined);
  const policy = readAdminPolicy({ platform: process.platform, env: process.env, readFile: readOptionalFile, warn: (msg, detail) => log.warn(detail, msg) });
  const { updater, disabledBy } = createUpdater({
    platform: process.platform,
    env: process.env,
    packaged: app.isPackaged,
    feedUrl: validUpdateUrl(typeof __TERN_UPDATE_URL__ === 'string' ? __TERN_UPDATE_URL__ : undefined),
    policy,
    log: log.child({ name: 'updater' }),
  });
  const quit = new QuitController(() => shutdown(), () => app.quit(), systemClock, log);
  const updates = new UpdateController({
    updater,
    ...(disabledBy ? { disabledBy } : {}),
    verify: (info) => verifyRelease(info, updateKeys),
    skipped: skippedVersionFile(join(userData, 'skipped-update.json')),
    currentVersion: version,
    channel: settings.updateChannel,
    clock: systemClock,
    log,
    onStatus: (status: UpdateStatus) => {
      sendToRenderer('updateStatus', status);
      rebuildMenus();
    },
    beforeInstall: async () => {
      windowController.markQuitting();
      await quit.prepareExternalQuit();
    },
  });

  // IPC.
  const dispatch = createDispatcher(
    core,
    {
      getAppInfo: async () => appInfo(version, 'electron', process.platform),
      getUpdateStatus: async () => updates.current,
      checkForUpdates: () => updates.checkNow(),
      installUpdate: () => updates.install(),
      skipUpdate: ({ version: v }) => updates.skip(v),
    },
    log,
  );
  const stopIpc = registerIpc(ipcMain, dispatch, (event) => isTrustedSender(event, win && !win.isDestroyed() ? win.webContents.id : null, origin), log);

  // Tray, badge, menus.
  const trayImages = new Map<TrayBadge, NativeImage>();
  const trayImage = (badge: TrayBadge): NativeImage => {
    let image = trayImages.get(badge);
    if (!image) {
      image = nativeImage.createFromBuffer(encodePng(drawTrayIcon(16, badge)), { scaleFactor: 1 });
      image.addRepresentation({ scaleFactor: 2, buffer: encodePng(drawTrayIcon(32, badge)) });
      trayImages.set(badge, image);
    }
    return image;
  };
  for (const b of trayBadges) trayImage(b);
  const tray = new Tray(trayImage('none'));
  tray.setToolTip(productName);
  tray.on('click', () => windowController.toggle());

  const actions: MenuActions = {
    showWindow: () => ensureWindow(),
    checkForUpdates: () => void updates.checkNow(),
    installUpdate: () => void updates.install().catch((error: unknown) => log.warn({ err: String(error) }, 'install failed')),
    quit: () => app.quit(),
  };
  function rebuildMenus(): void {
    const ready = updates.current.state === 'ready';
    Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenuTemplate(process.platform, productName, strings(), actions, ready, !app.isPackaged)));
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(strings(), actions, ready)));
  }
  rebuildMenus();

  const badge = new BadgeController({
    setBadgeCount: (n) => app.setBadgeCount(n),
    setTrayImage: (b) => tray.setImage(trayImage(b)),
    setTrayToolTip: (t) => tray.setToolTip(t),
    setOverlay:
      process.platform === 'win32'
        ? (b, description) => win?.setOverlayIcon(b ? nativeImage.createFromBuffer(encodePng(drawOverlayIcon(32, b))) : null, description)
        : null,
  });
  const muted = new MutedUnreadTracker();
  let unreadTotal = 0;
  const refreshBadge = () => badge.apply(badgeState(unreadTotal, muted.any, strings(), productName));
  refreshBadge();

  // Notifications.
  let selfUserId: number | null = null;
  const refreshSession = () =>
    core.getSession({}).then(
      (s) => (selfUserId = s?.account.userId ?? null),
      () => undefined,
    );
  void refreshSession();
  const notifications = new NotificationCenter({
    clock: systemClock,
    log,
    appName: productName,
    supported: () => Notification.isSupported(),
    show: (request) => {
      const n = new Notification({ title: request.title, body: request.body, silent: request.silent, icon: appIcon });
      n.on('click', () => request.onClick());
      n.show();
      return { close: () => n.close() };
    },
    window: windowController,
    settings: () => ({ privacy: settings.notifications.privacy, sound: settings.notifications.sound, strings: strings() }),
    selfUserId: () => selfUserId,
    conversation: (key) => core.getConversation({ key }),
    senderNames: async (userIds) => {
      const profiles = await core.getProfiles({ userIds }).catch(() => []);
      return new Map(profiles.map((p) => [p.userId, p.nickname || p.username]));
    },
    openConversation: (key: ConversationKey) => {
      if (!win || win.isDestroyed()) ensureWindow();
      sendToRenderer('openConversation', { key });
    },
  });

  const offs = [
    core.on('messagesChanged', (p: MessengerEvents['messagesChanged']) => notifications.onMessagesChanged(p.messages)),
    core.on('conversationsChanged', (p) => {
      notifications.onConversationsChanged(p.conversations);
      muted.update(p.conversations);
      refreshBadge();
    }),
    core.on('conversationRemoved', (p) => {
      notifications.closeFor(p.key);
      muted.remove(p.key);
      refreshBadge();
    }),
    core.on('unreadTotal', (p) => {
      unreadTotal = p.total;
      refreshBadge();
    }),
    core.on('connectionState', (s) => {
      if (s.state === 'syncing' || s.state === 'online') void refreshSession();
    }),
    core.on('sessionEnded', () => {
      selfUserId = null;
      unreadTotal = 0;
      muted.clear();
      notifications.reset();
      refreshBadge();
    }),
    core.on('settingsChanged', (s) => {
      settings = s;
      updates.setChannel(s.updateChannel);
      rebuildMenus();
      refreshBadge();
    }),
  ];

  // Power and network: find a dead connection quickly after sleep or a network change.
  const probes = new ProbeDebouncer(() => core.probe(), systemClock);
  powerMonitor.on('resume', () => probes.request());
  powerMonitor.on('unlock-screen', () => probes.request());
  const network = new NetworkWatcher(() => net.isOnline(), () => probes.request(), systemClock);

  async function shutdown(): Promise<void> {
    updates.dispose();
    network.dispose();
    probes.dispose();
    notifications.dispose();
    for (const off of offs) off();
    stopForwarding();
    stopIpc();
    await core.dispose(); // closes the socket and the cache (the outbox is on disk from the moment a message is sent)
    log.info({}, 'core disposed');
    log.flush();
  }

  app.on('before-quit', (event) => {
    windowController.markQuitting();
    quit.onBeforeQuit(event);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin' && !settings.closeToTray) app.quit();
  });

  const hidden = WindowController.startHidden(process.argv, settings.startHidden);
  win = createWindow(!hidden);
  updates.start();
  log.info({ version, packaged: app.isPackaged, updates: updater ? 'on' : (disabledBy ?? 'off'), policy: policy.source, hidden }, 'started');
}

/** A file's text, or null when it does not exist (other failures throw). */
function readOptionalFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
