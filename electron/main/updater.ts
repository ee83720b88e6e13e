/**
 * Which electron-updater, if any, this installation gets:
 * - none when not packaged or built without a feed URL (state 'unsupported');
 * - none when an administrator's policy turns updates off ('disabled', admin);
 * - Linux: only the AppImage updates itself. A deb install (no `APPIMAGE`
 *   in the environment) is updated by the system's package manager, as
 *   Rocket.Chat and most Linux apps do; electron-updater's own deb path
 *   (`pkexec dpkg -i`) is never used ('disabled', package-manager). The build
 *   keeps the deb out of `latest-linux.yml` too (`deb.publish: null`);
 * - Windows: NSIS; macOS: the zip (Squirrel.Mac).
 *
 * The updater's own log goes to ours (it is otherwise lost): electron-updater
 * logs URLs, versions and file names, never anything of the user's.
 */
import electronUpdater from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter';
import type { ShellLog } from '../host/log';
import type { AdminPolicy } from './admin-policy';
import type { UpdaterLike } from './updates';

type AppUpdater = electronUpdater.AppUpdater;

export type UpdaterSetup = { updater: AppUpdater & UpdaterLike; disabledBy?: undefined } | { updater: null; disabledBy?: 'admin' | 'package-manager' };

export interface CreateUpdaterOptions {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  packaged: boolean;
  feedUrl: string | null;
  policy: AdminPolicy;
  log: ShellLog & { debug?(obj: object, msg: string): void };
  /** Outside Electron (tests): electron-updater's view of the app, and an HTTP client other than Electron's `net`. */
  app?: AppAdapter;
  httpExecutor?: unknown;
}

export function createUpdater(options: CreateUpdaterOptions): UpdaterSetup {
  if (!options.packaged || !options.feedUrl) return { updater: null };
  if (options.policy.updatesDisabled) return { updater: null, disabledBy: 'admin' };
  if (options.platform === 'linux' && !options.env.APPIMAGE) return { updater: null, disabledBy: 'package-manager' };

  const { AppImageUpdater, MacUpdater, NsisUpdater } = electronUpdater;
  const Updater = options.platform === 'win32' ? NsisUpdater : options.platform === 'darwin' ? MacUpdater : AppImageUpdater;
  const updater = new Updater(undefined, options.app);
  // The provider captures the HTTP client when the feed is set: replace it first.
  if (options.httpExecutor) (updater as unknown as { httpExecutor: unknown }).httpExecutor = options.httpExecutor;
  updater.setFeedURL({ provider: 'generic', url: options.feedUrl });
  updater.logger = updaterLogger(options.log);
  return { updater: updater as AppUpdater & UpdaterLike };
}

/** electron-updater's logger interface (message strings) onto our structured log. */
function updaterLogger(log: CreateUpdaterOptions['log']) {
  const text = (message: unknown) => ({ updater: String(message instanceof Error ? message.message : message).slice(0, 500) });
  return {
    info: (message?: unknown) => log.info(text(message), 'updater'),
    warn: (message?: unknown) => log.warn(text(message), 'updater'),
    error: (message?: unknown) => log.error(text(message), 'updater'),
    debug: (message: string) => log.debug?.(text(message), 'updater'),
  };
}
