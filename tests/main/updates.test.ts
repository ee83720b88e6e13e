// UpdateController's policy with a fake updater that fails the way
// electron-updater does (an 'error' event AND a rejected promise). The real
// electron-updater against a local feed: updater-feed.test.ts.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UpdateStatus } from '../../shared/ipc';
import { UpdateController, type SkippedVersionStore, type UpdaterLike } from '../../electron/main/updates';
import type { Verdict } from '../../electron/main/update-signature';
import type { Clock } from '../../electron/main/clock';

const clock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

class FakeUpdater extends EventEmitter implements UpdaterLike {
  autoDownload = true;
  autoInstallOnAppQuit = false;
  allowPrerelease = false;
  allowDowngrade = true;
  channel: string | null = null;
  checks = 0;
  downloads = 0;
  installs = 0;
  /** What the next check finds. */
  next: 'none' | 'available' | 'fail' = 'none';
  offered = '2.0.0';
  downloadFails = false;

  private failWith(message: string): never {
    const error = new Error(message);
    this.emit('error', error); // electron-updater emits, then rejects
    throw error;
  }

  async checkForUpdates() {
    this.checks += 1;
    if (this.next === 'fail') this.failWith('feed unreachable');
    if (this.next === 'available') return { isUpdateAvailable: true, updateInfo: { version: this.offered } };
    return { isUpdateAvailable: false, updateInfo: { version: '1.0.0' } };
  }
  async downloadUpdate() {
    this.downloads += 1;
    await Promise.resolve();
    if (this.downloadFails) this.failWith('sha512 checksum mismatch');
    this.emit('download-progress', { percent: 41.6 });
    this.emit('update-downloaded', { version: this.offered });
    return ['/tmp/update'];
  }
  quitAndInstall(): void {
    this.installs += 1;
  }
}

const schedule = { startDelayMs: 10_000, intervalMs: 4 * 3600_000, jitterMs: 1800_000, retryMs: 900_000 };
const signed = (): Verdict => ({ ok: true, keyId: 'k1' });

function memoryStore(initial: string | null = null): SkippedVersionStore & { value: string | null } {
  const store = { value: initial, load: () => store.value, save: (v: string | null) => void (store.value = v) };
  return store;
}

function make(updater: FakeUpdater | null, opts: { random?: () => number; verify?: (info: unknown) => Verdict; skipped?: SkippedVersionStore; disabledBy?: 'admin' | 'package-manager' } = {}) {
  const statuses: UpdateStatus[] = [];
  const logs: Array<[string, string, object]> = [];
  let beforeInstall = 0;
  const ctl = new UpdateController({
    updater,
    ...(opts.disabledBy ? { disabledBy: opts.disabledBy } : {}),
    verify: opts.verify ?? signed,
    skipped: opts.skipped ?? memoryStore(),
    currentVersion: '1.0.0',
    channel: 'stable',
    clock,
    random: opts.random ?? (() => 0.5),
    schedule,
    log: { info: (o, m) => logs.push(['info', m, o]), warn: (o, m) => logs.push(['warn', m, o]), error: (o, m) => logs.push(['error', m, o]) },
    onStatus: (s) => statuses.push(s),
    beforeInstall: async () => {
      beforeInstall += 1;
    },
  });
  return { ctl, statuses, logs, beforeInstalls: () => beforeInstall };
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

  it('reports why updates are off: an administrator, or a package manager', async () => {
    expect(make(null, { disabledBy: 'admin' }).ctl.current).toMatchObject({ state: 'disabled', disabledBy: 'admin' });
    const { ctl } = make(null, { disabledBy: 'package-manager' });
    ctl.start();
    expect((await ctl.checkNow())).toMatchObject({ state: 'disabled', disabledBy: 'package-manager' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checks shortly after start and then every interval with jitter', async () => {
    const u = new FakeUpdater();
    const { ctl } = make(u, { random: () => 1 }); // +jitter
    expect(u.autoDownload).toBe(false); // downloads only after the signature check
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
    expect(make(new FakeUpdater(), { random: () => 0 }).ctl.nextIntervalMs()).toBe(4 * 3600_000 - 1800_000);
    expect(make(new FakeUpdater(), { random: () => 0.5 }).ctl.nextIntervalMs()).toBe(4 * 3600_000);
  });

  it('verifies, downloads with progress, offers install, and stops checking', async () => {
    const u = new FakeUpdater();
    u.next = 'available';
    const seen: unknown[] = [];
    const { ctl, statuses, beforeInstalls } = make(u, { verify: (info) => (seen.push(info), signed()) });
    const after = await ctl.checkNow();
    expect(seen).toEqual([{ version: '2.0.0' }]);
    expect(after).toMatchObject({ state: 'ready', availableVersion: '2.0.0', percent: 100 });
    expect(statuses.map((s) => `${s.state}${s.percent ?? ''}`)).toEqual(['checking', 'checking', 'downloading0', 'downloading42', 'ready100']);
    expect(u.autoInstallOnAppQuit).toBe(true);
    await ctl.install();
    expect(beforeInstalls()).toBe(1);
    expect(u.installs).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts a failed check once (event and rejection), so the first retry comes after 15 minutes', async () => {
    const u = new FakeUpdater();
    u.next = 'fail';
    const { ctl, logs } = make(u);
    const status = await ctl.checkNow();
    expect(status).toMatchObject({ state: 'error', error: 'feed unreachable' });
    expect(logs.filter(([level]) => level === 'warn').map(([, m, o]) => [m, (o as { failures: number }).failures])).toEqual([['update check failed', 1]]);
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

  it('a failed download is an error state counted once, never an unhandled rejection', async () => {
    const u = new FakeUpdater();
    u.next = 'available';
    u.downloadFails = true;
    const { ctl, logs } = make(u);
    const status = await ctl.checkNow();
    expect(status).toMatchObject({ state: 'error', error: 'sha512 checksum mismatch' });
    expect(logs.filter(([level]) => level === 'warn')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(900_000);
    expect(u.downloads).toBe(2); // retried after 15 min, not 30
    ctl.dispose();
  });

  it('an updater error outside any call (e.g. installing on quit) still counts', async () => {
    const u = new FakeUpdater();
    const { ctl } = make(u);
    u.emit('error', new Error('install failed'));
    expect(ctl.current).toMatchObject({ state: 'error', error: 'install failed' });
    await vi.advanceTimersByTimeAsync(900_000);
    expect(u.checks).toBe(1);
    ctl.dispose();
  });

  it('refuses a release whose signature does not verify: nothing is downloaded, the refusal is an error in the log', async () => {
    const u = new FakeUpdater();
    u.next = 'available';
    const { ctl, logs } = make(u, { verify: () => ({ ok: false, reason: 'bad-signature', detail: 'the signature of version 2.0.0 does not match its files' }) });
    const status = await ctl.checkNow();
    expect(status).toMatchObject({ state: 'error' });
    expect(status.error).toContain('does not match');
    expect(u.downloads).toBe(0);
    expect(logs.find(([level]) => level === 'error')?.slice(0, 2)).toEqual(['error', 'update refused']);
    ctl.dispose();
  });

  it('skips a version: not downloaded, not installed on quit; a newer one is; taking it back downloads it', async () => {
    const u = new FakeUpdater();
    u.next = 'available';
    const store = memoryStore();
    const { ctl } = make(u, { skipped: store });
    await ctl.checkNow();
    expect(ctl.current.state).toBe('ready');
    // Skipping the downloaded version: it must not be installed on quit either.
    expect(await ctl.skip('2.0.0')).toMatchObject({ state: 'available', availableVersion: '2.0.0', skipped: true });
    expect(u.autoInstallOnAppQuit).toBe(false);
    expect(store.value).toBe('2.0.0');
    await expect(ctl.install()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Later checks see 2.0.0 again and leave it alone.
    await ctl.checkNow();
    expect(u.downloads).toBe(1);
    expect(ctl.current).toMatchObject({ state: 'available', skipped: true });
    // A newer release is offered as usual.
    u.offered = '2.1.0';
    await ctl.checkNow();
    expect(ctl.current).toMatchObject({ state: 'ready', availableVersion: '2.1.0' });
    expect(ctl.current.skipped).toBeUndefined();
    ctl.dispose();
  });

  it('remembers a skipped version across restarts, and un-skipping fetches it', async () => {
    const u = new FakeUpdater();
    u.next = 'available';
    const store = memoryStore('2.0.0');
    const { ctl } = make(u, { skipped: store });
    await ctl.checkNow();
    expect(u.downloads).toBe(0);
    expect(ctl.current).toMatchObject({ state: 'available', skipped: true });
    expect(await ctl.skip(null)).toMatchObject({ state: 'ready', availableVersion: '2.0.0' });
    expect(store.value).toBeNull();
    expect(u.autoInstallOnAppQuit).toBe(true);
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
