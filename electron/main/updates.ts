/**
 * Auto-update policy around electron-updater (generic provider):
 * - check shortly after start, then every `intervalMs` with +-`jitterMs`
 *   (so a fleet does not hit the feed at once);
 * - a found update is downloaded only after its release signature checks out
 *   against the pinned keys (./update-signature.ts) and unless the user
 *   skipped that version; electron-updater then verifies the file's sha512;
 * - a failed check, download or signature is logged and retried with
 *   back-off (`retryMs`, doubling, capped at the interval); it never blocks
 *   the app. electron-updater reports a failure twice (an 'error' event and a
 *   rejected promise): it is counted once, from the promise of the call that
 *   failed; an 'error' event outside any call of ours counts by itself;
 * - progress and "ready, restart to update" go to the UI as `updateStatus`;
 * - channel 'beta' also accepts prereleases; switching back to 'stable'
 *   does not downgrade;
 * - state 'unsupported' when not packaged or no feed URL was built in;
 *   'disabled' when an administrator turned updates off or a package
 *   manager owns the install.
 */
import type { UpdateChannel, UpdateStatus } from '../../shared/ipc';
import type { ShellLog } from '../host/log';
import type { Clock } from './clock';
import type { Verdict } from './update-signature';

/** The part of electron-updater's AppUpdater used here. */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowPrerelease: boolean;
  allowDowngrade: boolean;
  channel: string | null;
  checkForUpdates(): Promise<{ isUpdateAvailable: boolean; updateInfo: { version: string } } | null>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
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

/** Where the version the user skipped is kept between runs. */
export interface SkippedVersionStore {
  load(): string | null;
  save(version: string | null): void;
}

export interface UpdateControllerOptions {
  updater: UpdaterLike | null;
  /** Why there is no updater, when it is not simply unsupported here. */
  disabledBy?: UpdateStatus['disabledBy'];
  /** Checks a found release's signature (see ./update-signature.ts `verifyRelease`). */
  verify: (info: unknown) => Verdict;
  skipped: SkippedVersionStore;
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

/** A found release that failed its signature check. */
export class UpdateRejectedError extends Error {
  constructor(readonly verdict: Exclude<Verdict, { ok: true }>) {
    super(`update refused: ${verdict.detail}`);
    this.name = 'UpdateRejectedError';
  }
}

export class UpdateController {
  private status: UpdateStatus;
  private readonly schedule: UpdateSchedule;
  private readonly random: () => number;
  private timer: unknown = null;
  private failures = 0;
  /** The check (and download) under way; its failure is counted from its promise. */
  private running: Promise<void> | null = null;
  /** Set before the call starts: an updater may emit 'error' synchronously inside it. */
  private busy = false;
  private skippedVersion: string | null;
  private disposed = false;

  constructor(private readonly options: UpdateControllerOptions) {
    this.schedule = { ...defaultUpdateSchedule, ...options.schedule };
    this.random = options.random ?? Math.random;
    this.skippedVersion = options.skipped.load();
    const u = options.updater;
    this.status = u
      ? { state: 'idle', channel: options.channel, currentVersion: options.currentVersion }
      : options.disabledBy
        ? { state: 'disabled', channel: options.channel, currentVersion: options.currentVersion, disabledBy: options.disabledBy }
        : { state: 'unsupported', channel: options.channel, currentVersion: options.currentVersion };
    if (!u) return;
    // We download ourselves, after the signature check.
    u.autoDownload = false;
    u.autoInstallOnAppQuit = true;
    this.applyChannel(options.channel);
    u.on('download-progress', (p) => {
      if (this.status.state === 'downloading') this.set({ percent: Math.max(0, Math.min(100, Math.round(p.percent))) });
    });
    u.on('update-downloaded', (info) => this.downloaded(info.version));
    u.on('error', (error) => {
      // Inside a call of ours the rejected promise counts it; outside (e.g. installing on quit) the event is all there is.
      if (this.busy) this.options.log?.info({ err: String(error?.message ?? error).slice(0, 300) }, 'updater error (counted by the call that failed)');
      else this.fail(error);
    });
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

  /**
   * Skip `version` (never downloaded, installed on quit or offered again;
   * a newer version is), or `null` to take the skipped version after all.
   */
  async skip(version: string | null): Promise<UpdateStatus> {
    const u = this.options.updater;
    const previous = this.skippedVersion;
    this.skippedVersion = version;
    this.options.skipped.save(version);
    if (!u) return this.status;
    if (version !== null && this.status.availableVersion === version) {
      u.autoInstallOnAppQuit = false;
      this.set({ state: this.status.state === 'downloading' ? 'downloading' : 'available', skipped: true, percent: undefined });
      this.arm(this.nextIntervalMs());
    } else if (version === null && previous !== null && this.status.skipped) {
      u.autoInstallOnAppQuit = true;
      this.set({ skipped: undefined });
      await this.runCheck();
    }
    return this.status;
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
    if (!this.options.updater || this.disposed) return Promise.resolve();
    if (!this.running) {
      this.busy = true;
      this.running = this.checkAndDownload(this.options.updater).finally(() => {
        this.running = null;
        this.busy = false;
      });
    }
    return this.running;
  }

  private async checkAndDownload(u: UpdaterLike): Promise<void> {
    const log = this.options.log;
    try {
      this.set({ state: 'checking', error: undefined });
      const result = await u.checkForUpdates();
      this.set({ lastCheckedAt: this.options.clock.now() });
      if (!result?.isUpdateAvailable) {
        this.set({ state: 'up-to-date', availableVersion: undefined, percent: undefined, skipped: undefined });
        this.failures = 0;
        return;
      }
      const version = result.updateInfo.version;
      if (version === this.skippedVersion) {
        log?.info({ version }, 'update available but skipped by the user');
        this.set({ state: 'available', availableVersion: version, skipped: true, percent: undefined });
        this.failures = 0;
        return;
      }
      const verdict = this.options.verify(result.updateInfo);
      if (!verdict.ok) throw new UpdateRejectedError(verdict);
      log?.info({ version, keyId: verdict.keyId }, 'update signature verified; downloading');
      this.set({ state: 'downloading', availableVersion: version, percent: 0, skipped: undefined });
      await u.downloadUpdate();
      this.failures = 0;
      this.downloaded(version);
    } catch (error) {
      this.fail(error);
    }
  }

  private downloaded(version: string): void {
    if (this.status.state === 'ready' && this.status.availableVersion === version) return;
    const u = this.options.updater;
    if (version === this.skippedVersion) {
      if (u) u.autoInstallOnAppQuit = false;
      this.set({ state: 'available', availableVersion: version, skipped: true, percent: undefined });
      return;
    }
    this.set({ state: 'ready', availableVersion: version, percent: 100 });
    this.clearTimer(); // nothing more to check until the restart
  }

  private fail(error: unknown): void {
    if (this.disposed) return;
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
    this.failures += 1;
    const delay = Math.min(this.schedule.intervalMs, this.schedule.retryMs * 2 ** (this.failures - 1));
    const detail = { err: message, failures: this.failures, retryInMs: delay };
    // A refused signature may be an attack on the feed: an error, not a warning.
    if (error instanceof UpdateRejectedError) this.options.log?.error({ ...detail, reason: error.verdict.reason }, 'update refused');
    else this.options.log?.warn(detail, 'update check failed');
    this.set({ state: 'error', error: message, lastCheckedAt: this.options.clock.now(), percent: undefined });
    this.arm(delay);
  }

  private set(patch: Partial<UpdateStatus>): void {
    const next: UpdateStatus = { ...this.status, ...patch };
    for (const k of Object.keys(next) as Array<keyof UpdateStatus>) if (next[k] === undefined) delete next[k];
    this.status = next;
    this.options.onStatus(next);
  }
}
