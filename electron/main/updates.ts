/**
 * Auto-update policy around electron-updater (generic provider):
 * - check shortly after start, then every `intervalMs` with +-`jitterMs`
 *   (so a fleet does not hit the feed at once);
 * - a failed check or download is logged and retried with back-off
 *   (`retryMs`, doubling, capped at the interval); it never blocks the app;
 * - the download starts by itself; progress and "ready, restart to update"
 *   go to the UI as `updateStatus` events;
 * - channel 'beta' also accepts prereleases; switching back to 'stable'
 *   does not downgrade;
 * - disabled (state 'unsupported') when not packaged or no feed URL was built in.
 */
import type { UpdateChannel, UpdateStatus } from '../../shared/ipc';
import type { ShellLog } from '../host/log';
import type { Clock } from './clock';

/** The part of electron-updater's AppUpdater used here. */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowPrerelease: boolean;
  allowDowngrade: boolean;
  channel: string | null;
  checkForUpdates(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'checking-for-update', listener: () => void): unknown;
  on(event: 'update-available', listener: (info: { version: string }) => void): unknown;
  on(event: 'update-not-available', listener: (info: { version: string }) => void): unknown;
  on(event: 'download-progress', listener: (progress: { percent: number }) => void): unknown;
  on(event: 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface UpdateSchedule {
  startDelayMs: number;
  intervalMs: number;
  jitterMs: number;
  retryMs: number;
}

export const defaultUpdateSchedule: UpdateSchedule = {
  startDelayMs: 15_000,
  intervalMs: 4 * 60 * 60_000,
  jitterMs: 30 * 60_000,
  retryMs: 15 * 60_000,
};

export interface UpdateControllerOptions {
  updater: UpdaterLike | null;
  currentVersion: string;
  channel: UpdateChannel;
  clock: Clock;
  /** In [0, 1). */
  random?: () => number;
  schedule?: Partial<UpdateSchedule>;
  log?: ShellLog;
  onStatus(status: UpdateStatus): void;
  /** Called right before quitAndInstall: lets the app stop hiding to tray and dispose the core. */
  beforeInstall?: () => Promise<void>;
}

export class UpdateController {
  private status: UpdateStatus;
  private readonly schedule: UpdateSchedule;
  private readonly random: () => number;
  private timer: unknown = null;
  private failures = 0;
  private checking: Promise<void> | null = null;
  private disposed = false;

  constructor(private readonly options: UpdateControllerOptions) {
    this.schedule = { ...defaultUpdateSchedule, ...options.schedule };
    this.random = options.random ?? Math.random;
    this.status = { state: options.updater ? 'idle' : 'unsupported', channel: options.channel, currentVersion: options.currentVersion };
    const u = options.updater;
    if (!u) return;
    u.autoDownload = true;
    u.autoInstallOnAppQuit = true;
    this.applyChannel(options.channel);
    u.on('checking-for-update', () => this.set({ state: 'checking', error: undefined }));
    u.on('update-available', (info) => this.set({ state: 'downloading', availableVersion: info.version, percent: 0 }));
    u.on('update-not-available', () => this.set({ state: 'up-to-date', availableVersion: undefined, percent: undefined }));
    u.on('download-progress', (p) => this.set({ state: 'downloading', percent: Math.max(0, Math.min(100, Math.round(p.percent))) }));
    u.on('update-downloaded', (info) => {
      this.set({ state: 'ready', availableVersion: info.version, percent: 100 });
      this.clearTimer(); // nothing more to check until the restart
    });
    u.on('error', (error) => this.fail(error));
  }

  get current(): UpdateStatus {
    return this.status;
  }

  /** Arms the first check (shortly after start). */
  start(): void {
    if (!this.options.updater || this.disposed) return;
    this.arm(this.schedule.startDelayMs);
  }

  /** The UI's "check for updates": runs a check now and resolves with the status after it. */
  async checkNow(): Promise<UpdateStatus> {
    if (!this.options.updater || this.status.state === 'ready') return this.status;
    await this.runCheck();
    return this.status;
  }

  setChannel(channel: UpdateChannel): void {
    if (channel === this.status.channel) return;
    this.applyChannel(channel);
    this.set({ channel });
    if (this.options.updater && this.status.state !== 'ready') this.arm(this.schedule.startDelayMs);
  }

  /** Restart into the downloaded update. */
  async install(): Promise<void> {
    const u = this.options.updater;
    if (!u || this.status.state !== 'ready') {
      throw Object.assign(new Error('no update is ready to install'), { code: 'NOT_FOUND' });
    }
    await this.options.beforeInstall?.();
    u.quitAndInstall(false, true);
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
  }

  /** Next regular check: interval +- jitter. */
  nextIntervalMs(): number {
    const { intervalMs, jitterMs } = this.schedule;
    return Math.max(60_000, Math.round(intervalMs + (this.random() * 2 - 1) * jitterMs));
  }

  private applyChannel(channel: UpdateChannel): void {
    const u = this.options.updater;
    if (!u) return;
    u.channel = channel === 'beta' ? 'beta' : 'latest';
    u.allowPrerelease = channel === 'beta';
    u.allowDowngrade = false;
  }

  private arm(delayMs: number): void {
    this.clearTimer();
    if (this.disposed) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.runCheck().then(() => {
        if (this.status.state !== 'ready' && this.status.state !== 'error' && this.timer === null) this.arm(this.nextIntervalMs());
      });
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private runCheck(): Promise<void> {
    const u = this.options.updater;
    if (!u || this.disposed) return Promise.resolve();
    this.checking ??= (async () => {
      try {
        this.set({ state: 'checking', error: undefined });
        await u.checkForUpdates();
        this.set({ lastCheckedAt: this.options.clock.now() });
        if (this.status.state === 'checking') this.set({ state: 'up-to-date' });
        this.failures = 0;
      } catch (error) {
        this.fail(error);
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }

  private fail(error: unknown): void {
    if (this.disposed) return;
    const message = error instanceof Error ? error.message : String(error);
    this.failures += 1;
    const delay = Math.min(this.schedule.intervalMs, this.schedule.retryMs * 2 ** (this.failures - 1));
    this.options.log?.warn({ err: message.slice(0, 300), failures: this.failures, retryInMs: delay }, 'update check failed');
    this.set({ state: 'error', error: message.slice(0, 300), lastCheckedAt: this.options.clock.now() });
    this.arm(delay);
  }

  private set(patch: Partial<UpdateStatus>): void {
    const next: UpdateStatus = { ...this.status, ...patch };
    for (const k of Object.keys(next) as Array<keyof UpdateStatus>) if (next[k] === undefined) delete next[k];
    this.status = next;
    this.options.onStatus(next);
  }
}
