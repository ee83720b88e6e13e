import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UpdateStatus } from '../../shared/ipc';
import { UpdateController, type UpdaterLike } from '../../electron/main/updates';
import type { Clock } from '../../electron/main/clock';

const clock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

class FakeUpdater extends EventEmitter implements UpdaterLike {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  allowPrerelease = false;
  allowDowngrade = true;
  channel: string | null = null;
  checks = 0;
  installs = 0;
  /** What the next check does. */
  next: 'none' | 'available' | 'fail' = 'none';

  async checkForUpdates(): Promise<unknown> {
    this.checks += 1;
    this.emit('checking-for-update');
    if (this.next === 'fail') throw new Error('feed unreachable');
    if (this.next === 'available') {
      this.emit('update-available', { version: '2.0.0' });
      return { updateInfo: { version: '2.0.0' } };
    }
    this.emit('update-not-available', { version: '1.0.0' });
    return null;
  }
  quitAndInstall(): void {
    this.installs += 1;
  }
}

const schedule = { startDelayMs: 10_000, intervalMs: 4 * 3600_000, jitterMs: 1800_000, retryMs: 900_000 };

function make(updater: FakeUpdater | null, random = () => 0.5) {
  const statuses: UpdateStatus[] = [];
  const warnings: string[] = [];
  let beforeInstall = 0;
  const ctl = new UpdateController({
    updater,
    currentVersion: '1.0.0',
    channel: 'stable',
    clock,
    random,
    schedule,
    log: { info() {}, warn: (_o, m) => warnings.push(m), error() {} },
    onStatus: (s) => statuses.push(s),
    beforeInstall: async () => {
      beforeInstall += 1;
    },
  });
  return { ctl, statuses, warnings, beforeInstalls: () => beforeInstall };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('UpdateController', () => {
  it('is unsupported without an updater (web shell, unpackaged, no feed URL)', async () => {
    const { ctl } = make(null);
    ctl.start();
    expect(ctl.current.state).toBe('unsupported');
    expect((await ctl.checkNow()).state).toBe('unsupported');
    await expect(ctl.install()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checks shortly after start and then every interval with jitter', async () => {
    const u = new FakeUpdater();
    const { ctl } = make(u, () => 1); // +jitter
    expect(u.autoDownload).toBe(true);
    expect(u.channel).toBe('latest');
    ctl.start();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(u.checks).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(u.checks).toBe(1);
    expect(ctl.current.state).toBe('up-to-date');
    expect(ctl.current.lastCheckedAt).toBeTypeOf('number');
    await vi.advanceTimersByTimeAsync(4 * 3600_000 + 1800_000 - 1);
    expect(u.checks).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(u.checks).toBe(2);
    ctl.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('jitter spreads checks over interval +- jitter', () => {
    expect(make(new FakeUpdater(), () => 0).ctl.nextIntervalMs()).toBe(4 * 3600_000 - 1800_000);
    expect(make(new FakeUpdater(), () => 0.5).ctl.nextIntervalMs()).toBe(4 * 3600_000);
  });

  it('reports download progress and ready, offers install, and stops checking', async () => {
    const u = new FakeUpdater();
    u.next = 'available';
    const { ctl, statuses, beforeInstalls } = make(u);
    const after = await ctl.checkNow();
    expect(after).toMatchObject({ state: 'downloading', availableVersion: '2.0.0', percent: 0 });
    u.emit('download-progress', { percent: 41.6 });
    expect(ctl.current.percent).toBe(42);
    u.emit('update-downloaded', { version: '2.0.0' });
    expect(ctl.current).toMatchObject({ state: 'ready', availableVersion: '2.0.0', percent: 100 });
    expect(statuses.map((s) => s.state)).toEqual(['checking', 'checking', 'downloading', 'downloading', 'downloading', 'ready']);
    await ctl.install();
    expect(beforeInstalls()).toBe(1);
    expect(u.installs).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('logs a failure and retries later with back-off, never throwing', async () => {
    const u = new FakeUpdater();
    u.next = 'fail';
    const { ctl, warnings } = make(u);
    const status = await ctl.checkNow();
    expect(status).toMatchObject({ state: 'error', error: 'feed unreachable' });
    expect(warnings).toEqual(['update check failed']);
    await vi.advanceTimersByTimeAsync(900_000);
    expect(u.checks).toBe(2);
    await vi.advanceTimersByTimeAsync(1_800_000 - 1); // doubled
    expect(u.checks).toBe(2);
    u.next = 'none';
    await vi.advanceTimersByTimeAsync(1);
    expect(u.checks).toBe(3);
    expect(ctl.current.state).toBe('up-to-date');
    ctl.dispose();
  });

  it('switches channels: beta allows prereleases, stable never downgrades, and re-checks', async () => {
    const u = new FakeUpdater();
    const { ctl, statuses } = make(u);
    ctl.setChannel('beta');
    expect([u.channel, u.allowPrerelease, u.allowDowngrade]).toEqual(['beta', true, false]);
    expect(statuses.at(-1)?.channel).toBe('beta');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(u.checks).toBe(1);
    ctl.setChannel('stable');
    expect([u.channel, u.allowPrerelease, u.allowDowngrade]).toEqual(['latest', false, false]);
    ctl.dispose();
  });
});
