/**
 * Electron main process: wires the plain modules of this folder to Electron.
 * Every decision lives in those modules (tested with fakes); this file only
 * connects them to BrowserWindow, Tray, Notification, ipcMain, powerMonitor
 * and electron-updater.
 */
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeImage, net, Notification, powerMonitor, safeStorage, screen, session, shell, Tray, type NativeImage } from 'electron';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, hostname, release } from 'node:os';
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
import { parseServersEnv, userDataDirOverride, validUpdateUrl } from './config';
import { contextMenuTemplate } from './context-menu';
import { cryptoReadyAtStart } from './crypto-check';
import { loadKeychainDataKey } from './data-key';
import { buildDebugReport } from './debug-log';
import { linkFromArgv, LinkRouter, linkScheme, type DeepLink } from './deep-link';
import { drawAppIcon, drawOverlayIcon, drawTrayIcon, drawTrayTemplateIcon } from './icons/draw';
import { encodePng } from './icons/png';
import { createEventSender, registerIpc } from './ipc';
import { applicationMenuTemplate, trayMenuTemplate, type MenuActions } from './menu';
import { NetworkWatcher, ProbeDebouncer } from './network-watcher';
import { NotificationCenter } from './notifications';
import { QuitController } from './quit';
import { applyStartAtLogin } from './login-item';
import { RotatingLogFile } from './log-file';
import { isAllowedExternalUrl, isNavigationAllowed, isPermissionAllowed, isTrustedSender, type RendererOrigin } from './security';
import { spellcheckLanguages } from './spellcheck';
import { resolveLang, stringsFor, type MainStrings } from './strings';
import { readAdminPolicy } from './admin-policy';
import { skippedVersionFile } from './skipped-version';
import { createUpdater } from './updater';
import { parsePublicKeys, verifyRelease } from './update-signature';
import { UpdateController } from './updates';
import { WindowController } from './window-controller';
import { AttachmentFiles } from './attachment-files';
import { WindowStateKeeper, initialBounds, minWindowSize, parseWindowState } from './window-state';

/** Replaced at build time (electron.vite.config.ts) from TERN_UPDATE_URL and TERN_UPDATE_PUBLIC_KEYS. */
declare const __TERN_UPDATE_URL__: string;
declare const __TERN_UPDATE_KEYS__: string;

const here = dirname(fileURLToPath(import.meta.url));
const appId = 'im.tern.desktop';

// Before the lock: the lock is per userData directory, so a second profile (--user-data-dir) runs beside the first.
const dataDirOverride = userDataDirOverride(process.argv, process.env, process.cwd());
if (dataDirOverride) app.setPath('userData', dataDirOverride);

// macOS hands links over with open-url, possibly before the app is ready: keep the first until main() routes them.
const earlyLinks: string[] = [];
const onEarlyLink = (event: Electron.Event, url: string) => {
  event.preventDefault();
  earlyLinks.push(url);
};
app.on('open-url', onEarlyLink);

if (!app.requestSingleInstanceLock()) {
  app.quit(); // the running instance gets our argv (and a tern:// link in it) through 'second-instance'
} else {
  void main();
}

async function main(): Promise<void> {
  const userData = app.getPath('userData');
  const logFile = new RotatingLogFile({ dir: join(userData, 'logs') });
  const log = pino({ name: 'main', level: process.env.TERN_LOG_LEVEL ?? 'info' }, logFile);
  process.on('uncaughtException', (error) => log.error({ err: error.message }, 'uncaught exception'));
  process.on('unhandledRejection', (error) => log.error({ err: String(error) }, 'unhandled rejection'));
  if (process.platform === 'win32') app.setAppUserModelId(appId);
  // tern:// links open this app (packaged: the installer registers it too; a dev run registers Electron + the app path).
  if (app.isPackaged) app.setAsDefaultProtocolClient(linkScheme);
  else if (process.argv[1]) app.setAsDefaultProtocolClient(linkScheme, process.execPath, [process.argv[1]]);

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

  // The key of the local data, from the OS keychain (safeStorage needs the app ready). If the keychain keeps it
  // but will not give it back, the user chooses: quit and try later, or start over (electron/main/data-key.ts).
  const dataDir = join(userData, 'data');
  mkdirSync(dataDir, { recursive: true });
  const keychain = loadKeychainDataKey({
    dataDir,
    safeStorage,
    platform: process.platform,
    log,
    confirmStartOver: (reason) => {
      const t = stringsFor(resolveLang('system', app.getLocale()));
      const choice = dialog.showMessageBoxSync({
        type: 'warning',
        title: t.dataKeyTitle,
        message: reason === 'keychain-unavailable' ? t.dataKeyUnavailable : t.dataKeyRefused,
        detail: t.dataKeyDetail,
        buttons: [t.quit, t.dataKeyStartOver],
        defaultId: 0,
        cancelId: 0,
        noLink: true,
      });
      return choice === 1;
    },
  });
  if (keychain === 'quit') {
    app.exit(0);
    return;
  }
  const keyProtection = keychain.dataKey?.protection ?? 'key-file';

  // The core, on a worker thread: this thread only runs windows, tray, menus and IPC. Restarted if it dies.
  const version = app.getVersion();
  const core: ClientCore = await startCoreThread({
    entry: pathToFileURL(join(here, 'core-worker.js')),
    config: {
      dataDir,
      ...(keychain.dataKey ? { dataKey: keychain.dataKey } : {}),
      defaultServers: parseServersEnv(process.env.TERN_SERVERS),
      deviceName: hostname(),
      clientName: `tern-desktop/${version} ${process.platform}`,
      logLevel: logLevelOf(process.env.TERN_LOG_LEVEL),
    },
    log: log.child({ name: 'core' }),
  });

  let settings: Settings = await core.getSettings({});
  const strings = (): MainStrings => stringsFor(resolveLang(settings.language, app.getLocale()));

  // Spelling check (Windows, Linux: our choice of dictionaries; macOS: the system's) and start at login.
  const applySpellcheck = () => {
    ses.setSpellCheckerEnabled(settings.spellcheck.enabled);
    if (process.platform !== 'darwin' && settings.spellcheck.enabled) ses.setSpellCheckerLanguages(spellcheckLanguages(settings.spellcheck, ses.availableSpellCheckerLanguages));
  };
  const applyLoginItem = () => {
    // Only a packaged app: a development run would register the bare Electron binary.
    if (!app.isPackaged) return;
    try {
      applyStartAtLogin(settings.startAtLogin, {
        platform: process.platform,
        executable: process.env.APPIMAGE ?? process.execPath,
        configDir: process.env.XDG_CONFIG_HOME || join(homedir(), '.config'),
        setLoginItemSettings: (s) => app.setLoginItemSettings(s),
      });
    } catch (error) {
      log.warn({ err: String(error).slice(0, 200) }, 'could not change the start-at-login entry');
    }
  };
  applySpellcheck();
  applyLoginItem();

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
    w.webContents.on('context-menu', (_event, params) => {
      const template = contextMenuTemplate(params, strings(), {
        replaceMisspelling: (word) => w.webContents.replaceMisspelling(word),
        addToDictionary: (word) => ses.addWordToSpellCheckerDictionary(word),
        copyText: (text) => clipboard.writeText(text),
      });
      if (template.length > 0) Menu.buildFromTemplate(template).popup({ window: w });
    });
    // Links wait until the UI listens (a link that started the app arrives before the page has loaded).
    w.webContents.on('did-start-loading', () => links.setReady(false));
    w.webContents.on('did-finish-load', () => links.setReady(true));
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

  app.on('second-instance', (_event, argv) => {
    ensureWindow();
    const link = linkFromArgv(argv);
    if (link) links.receive(link, 'second-instance');
  });
  app.on('activate', () => ensureWindow());

  // Events to the renderer: core events plus the shell's own.
  const sendToRenderer = createEventSender(() => (win && !win.isDestroyed() ? win.webContents : null));
  const stopForwarding = forwardEvents(core, sendToRenderer);

  // tern:// links: at start (argv), from a second launch, or macOS's open-url.
  const links = new LinkRouter((link: DeepLink) => {
    ensureWindow();
    if (link.kind === 'chat') sendToRenderer('openConversation', { key: link.key });
    else sendToRenderer('openUser', { username: link.username });
  }, log);
  app.off('open-url', onEarlyLink);
  app.on('open-url', (event, url) => {
    event.preventDefault();
    links.receive(url, 'open-url');
  });
  for (const url of earlyLinks.splice(0)) links.receive(url, 'open-url');
  const startLink = linkFromArgv(process.argv);
  if (startLink) links.receive(startLink, 'argv');

  /** Writes the debug log where the user chooses (Help menu, Settings). */
  const exportDebugLog = async (): Promise<{ path: string } | null> => {
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const options = { defaultPath: join(app.getPath('downloads'), `tern-debug-${stamp}.log`), filters: [{ name: 'Log', extensions: ['log', 'txt'] }] };
    const choice = win && !win.isDestroyed() ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    if (choice.canceled || !choice.filePath) return null;
    logFile.flushSync();
    const status = await core.getConnectionStatus({}).catch(() => null);
    const report = buildDebugReport({
      facts: {
        app: `${productName} ${version}`,
        packaged: app.isPackaged,
        electron: process.versions.electron,
        chrome: process.versions.chrome,
        node: process.versions.node,
        os: `${process.platform} ${release()} ${process.arch}`,
        locale: app.getLocale(),
        language: settings.language,
        theme: settings.theme,
        notifications: settings.notifications.privacy,
        closeToTray: settings.closeToTray,
        localDataProtection: keyProtection,
        startHidden: settings.startHidden,
        startAtLogin: settings.startAtLogin,
        spellcheck: settings.spellcheck.enabled,
        proxy: settings.proxy.type,
        servers: settings.servers.length,
        connection: status ? `${status.state}${status.lastError ? ` (${status.lastError.code})` : ''}` : 'unknown',
        updates: `${updates.current.state} ${updates.current.channel}${updates.current.disabledBy ? ` (${updates.current.disabledBy})` : ''}`,
      },
      logs: logFile.files().map((f) => readFileSync(f, 'utf8')),
    });
    writeFileSync(choice.filePath, report, { mode: 0o600 });
    log.info({}, 'debug log exported');
    return { path: choice.filePath };
  };

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

  const files = new AttachmentFiles({
    core,
    downloadsDir: join(app.getPath('downloads'), productName),
    showSaveDialog: async (defaultPath) => {
      const options = { defaultPath };
      const result = win && !win.isDestroyed() ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return result.canceled ? undefined : result.filePath;
    },
    openPath: (path) => shell.openPath(path),
    showItemInFolder: (path) => shell.showItemInFolder(path),
  });

  // IPC.
  const dispatch = createDispatcher(
    core,
    {
      getAppInfo: async () => ({
        ...appInfo(version, 'electron', process.platform),
        desktop: {
          spellcheckLanguages: process.platform === 'darwin' ? null : [...ses.availableSpellCheckerLanguages],
          startAtLogin: app.isPackaged,
          debugLog: true,
        },
      }),
      getUpdateStatus: async () => updates.current,
      checkForUpdates: () => updates.checkNow(),
      installUpdate: () => updates.install(),
      skipUpdate: ({ version: v }) => updates.skip(v),
      exportDebugLog: () => exportDebugLog(),
      saveAttachmentAs: files.saveAs,
      openAttachment: files.open,
      showAttachmentInFolder: files.showInFolder,
    },
    log,
  );
  const stopIpc = registerIpc(ipcMain, dispatch, (event) => isTrustedSender(event, win && !win.isDestroyed() ? win.webContents.id : null, origin), log);

  // Tray, badge, menus.
  const trayImages = new Map<TrayBadge, NativeImage>();
  // macOS menu bar: a template image (black + alpha, tinted by the system), a dot for unread; elsewhere the coloured badges.
  const trayImage = (badge: TrayBadge): NativeImage => {
    let image = trayImages.get(badge);
    if (!image) {
      const draw = process.platform === 'darwin' ? (size: number) => drawTrayTemplateIcon(size, badge !== 'none') : (size: number) => drawTrayIcon(size, badge);
      image = nativeImage.createFromBuffer(encodePng(draw(16)), { scaleFactor: 1 });
      image.addRepresentation({ scaleFactor: 2, buffer: encodePng(draw(32)) });
      if (process.platform === 'darwin') image.setTemplateImage(true);
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
    exportDebugLog: () => void exportDebugLog().catch((error: unknown) => log.warn({ err: String(error).slice(0, 200) }, 'debug log export failed')),
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
      const before = settings;
      settings = s;
      if (JSON.stringify(before.spellcheck) !== JSON.stringify(s.spellcheck)) applySpellcheck();
      if (before.startAtLogin !== s.startAtLogin) applyLoginItem();
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
    logFile.flushSync();
  }

  app.on('before-quit', (event) => {
    windowController.markQuitting();
    quit.onBeforeQuit(event);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin' && !settings.closeToTray) app.quit();
  });

  // Started at login (--hidden on Windows and Linux; macOS says so itself): into the tray.
  const hidden = WindowController.startHidden(process.argv, settings.startHidden) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true);
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
