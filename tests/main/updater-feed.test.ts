// The update flow end to end, minus Electron: the real electron-updater
// (AppImageUpdater, generic provider) made by the app's own createUpdater,
// driven by the app's UpdateController with the app's signature check,
// against a local HTTP feed served from a temp directory. Fakes: Electron's
// `app` (electron-updater's AppAdapter) and Electron's `net.request` (the one
// method of electron-updater's HTTP client that calls Electron, here Node's
// http.request).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type RequestOptions, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ElectronHttpExecutor } from 'electron-updater/out/electronHttpExecutor';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpdateChannel, UpdateStatus } from '../../shared/ipc';
import { systemClock } from '../../electron/main/clock';
import { createUpdater } from '../../electron/main/updater';
import { parsePublicKeys, verifyRelease } from '../../electron/main/update-signature';
import { UpdateController, type SkippedVersionStore } from '../../electron/main/updates';
import { generateKeyPair, secretKeyFromBase64, signYamlText } from '../../build/release-signing';

const fixtures = resolve(import.meta.dirname, '../fixtures/update-signing');
const testSecret = secretKeyFromBase64(readFileSync(join(fixtures, 'TEST-ONLY-key.private'), 'utf8'));
const testKeys = parsePublicKeys(readFileSync(join(fixtures, 'TEST-ONLY-key.pub'), 'utf8').trim());

/** electron-updater's own HTTP client, with Electron's `net.request` swapped for Node's. */
class NodeNetExecutor extends ElectronHttpExecutor {
  override createRequest(options: RequestOptions, callback: (response: IncomingMessage) => void): ReturnType<ElectronHttpExecutor['createRequest']> {
    // Node's ClientRequest speaks the subset of Electron's the executor uses (on, end, abort).
    return httpRequest(options, callback) as unknown as ReturnType<ElectronHttpExecutor['createRequest']>;
  }
}

let feedDir: string;
let server: Server;
let feedUrl: string;
const requests: string[] = [];

beforeAll(async () => {
  feedDir = mkdtempSync(join(tmpdir(), 'tern-feed-'));
  server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    requests.push(name);
    const file = join(feedDir, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  feedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(feedDir, { recursive: true, force: true });
});

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
  requests.length = 0;
  for (const f of ['latest-linux.yml', 'beta-linux.yml']) rmSync(join(feedDir, f), { force: true });
});

/** An "installer" in the feed; returns its yml entry. */
function publish(version: string): { url: string; sha512: string; size: number } {
  const url = `Tern-${version}-x86_64.AppImage`;
  const body = Buffer.concat([Buffer.from(`tern ${version}\n`), randomBytes(64 * 1024)]);
  writeFileSync(join(feedDir, url), body);
  return { url, sha512: createHash('sha512').update(body).digest('base64'), size: body.length };
}

/** The yml as electron-builder writes it (multi-line, quoted date). */
function yml(version: string, file: { url: string; sha512: string; size: number }, extra = ''): string {
  return [
    `version: ${version}`,
    'files:',
    `  - url: ${file.url}`,
    `    sha512: ${file.sha512}`,
    `    size: ${file.size}`,
    `path: ${file.url}`,
    `sha512: ${file.sha512}`,
    `releaseDate: '2025-01-01T00:00:00.000Z'`,
    extra,
  ].join('\n');
}

function writeFeed(channelFile: string, text: string): void {
  writeFileSync(join(feedDir, channelFile), text);
}

interface Run {
  ctl: UpdateController;
  statuses: UpdateStatus[];
  logs: Array<{ level: string; msg: string; obj: Record<string, unknown> }>;
  cacheDir: string;
  userData: string;
}

/** The app's updater stack with a fake Electron `app`, installed as version `current`. */
function app(current = '1.0.0', channel: UpdateChannel = 'stable', options: { stagingId?: string; keys?: Uint8Array[] } = {}): Run {
  const dir = mkdtempSync(join(tmpdir(), 'tern-updater-'));
  const userData = join(dir, 'userData');
  const cache = join(dir, 'cache');
  mkdirSync(userData, { recursive: true });
  if (options.stagingId) writeFileSync(join(userData, '.updaterId'), options.stagingId);
  const configPath = join(dir, 'app-update.yml');
  writeFileSync(configPath, `provider: generic\nurl: ${feedUrl}\nupdaterCacheDirName: tern-updater\n`);
  const appImage = join(dir, 'Tern-current.AppImage');
  writeFileSync(appImage, 'the running AppImage');
  const savedAppImage = process.env.APPIMAGE;
  process.env.APPIMAGE = appImage;
  cleanups.push(() => {
    if (savedAppImage === undefined) delete process.env.APPIMAGE;
    else process.env.APPIMAGE = savedAppImage;
    run.ctl.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const logs: Run['logs'] = [];
  const log = {
    info: (obj: object, msg: string) => logs.push({ level: 'info', msg, obj: obj as Record<string, unknown> }),
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', msg, obj: obj as Record<string, unknown> }),
    error: (obj: object, msg: string) => logs.push({ level: 'error', msg, obj: obj as Record<string, unknown> }),
    debug: (obj: object, msg: string) => logs.push({ level: 'debug', msg, obj: obj as Record<string, unknown> }),
  };
  const fakeApp = {
    version: current,
    name: 'Tern',
    isPackaged: true,
    appUpdateConfigPath: configPath,
    userDataPath: userData,
    baseCachePath: cache,
    whenReady: () => Promise.resolve(),
    relaunch: () => undefined,
    quit: () => undefined,
    onQuit: () => undefined,
  };
  const setup = createUpdater({ platform: 'linux', env: process.env, packaged: true, feedUrl, policy: { updatesDisabled: false, source: 'none' }, log, app: fakeApp, httpExecutor: new NodeNetExecutor() });
  expect(setup.updater).not.toBeNull();
  const noSkip: SkippedVersionStore = { load: () => null, save: () => undefined };
  const statuses: UpdateStatus[] = [];
  const ctl = new UpdateController({
    updater: setup.updater,
    verify: (info) => verifyRelease(info, options.keys ?? testKeys),
    skipped: noSkip,
    currentVersion: current,
    channel,
    clock: systemClock,
    log,
    onStatus: (s) => statuses.push(s),
  });
  const run: Run = { ctl, statuses, logs, cacheDir: join(cache, 'tern-updater'), userData };
  return run;
}

const failuresLogged = (run: Run) => run.logs.filter((l) => (l.msg === 'update check failed' || l.msg === 'update refused') && l.obj.failures !== undefined).length;

describe('the update flow against a local feed (real electron-updater)', () => {
  it('stable: finds, verifies, downloads and checks the sha512 of a signed release; logs the updater to our log', async () => {
    const file = publish('2.0.0');
    writeFeed('latest-linux.yml', signYamlText(yml('2.0.0', file), testSecret));
    const run = app('1.0.0');
    const status = await run.ctl.checkNow();
    expect(status).toMatchObject({ state: 'ready', availableVersion: '2.0.0' });
    expect(requests).toEqual(['latest-linux.yml', file.url]);
    const downloaded = join(run.cacheDir, 'pending', file.url);
    expect(createHash('sha512').update(readFileSync(downloaded)).digest('base64')).toBe(file.sha512);
    expect(run.statuses.map((s) => s.state)).toContain('downloading');
    // electron-updater's own messages reached our log.
    expect(run.logs.some((l) => l.msg === 'updater' && String(l.obj.updater).includes('Found version 2.0.0'))).toBe(true);
    expect(run.logs.some((l) => l.msg === 'update signature verified; downloading')).toBe(true);
  });

  it('beta: a beta user gets the prerelease, a stable user the stable release', async () => {
    const stable = publish('2.0.0');
    const beta = publish('2.1.0-beta.1');
    writeFeed('latest-linux.yml', signYamlText(yml('2.0.0', stable), testSecret));
    writeFeed('beta-linux.yml', signYamlText(yml('2.1.0-beta.1', beta), testSecret));
    expect(await app('1.0.0', 'beta').ctl.checkNow()).toMatchObject({ state: 'ready', availableVersion: '2.1.0-beta.1' });
    expect(await app('1.0.0', 'stable').ctl.checkNow()).toMatchObject({ state: 'ready', availableVersion: '2.0.0' });
  });

  it('refuses a downgrade: a newer build is never replaced by an older release', async () => {
    const file = publish('1.5.0');
    writeFeed('latest-linux.yml', signYamlText(yml('1.5.0', file), testSecret));
    const run = app('2.0.0');
    expect(await run.ctl.checkNow()).toMatchObject({ state: 'up-to-date' });
    expect(requests).toEqual(['latest-linux.yml']);
  });

  it('a missing feed (404) is one failure, with a clear error, and nothing unhandled', async () => {
    const run = app('1.0.0');
    const status = await run.ctl.checkNow();
    expect(status.state).toBe('error');
    expect(status.error).toMatch(/Cannot find channel "latest-linux.yml"/);
    expect(failuresLogged(run)).toBe(1);
  });

  it('a feed that is not YAML is one failure', async () => {
    writeFeed('latest-linux.yml', 'version: [2.0.0\n  files: {{{');
    const run = app('1.0.0');
    const status = await run.ctl.checkNow();
    expect(status.state).toBe('error');
    expect(status.error).toMatch(/Cannot parse update info/);
    expect(failuresLogged(run)).toBe(1);
  });

  it('an installer that does not match its (signed) sha512 is downloaded, rejected by the updater, and never offered', async () => {
    const file = publish('2.0.0');
    const other = publish('2.0.1');
    // A valid signature over the wrong digest: the updater itself must catch it.
    writeFeed('latest-linux.yml', signYamlText(yml('2.0.0', { ...file, sha512: other.sha512 }), testSecret));
    const run = app('1.0.0');
    const status = await run.ctl.checkNow();
    expect(status.state).toBe('error');
    expect(status.error).toMatch(/sha512 checksum mismatch/);
    expect(run.statuses.some((s) => s.state === 'ready')).toBe(false);
    expect(failuresLogged(run)).toBe(1);
  });

  it('refuses a release altered after signing, before downloading a byte', async () => {
    const file = publish('2.0.0');
    const evil = publish('2.0.0-evil');
    const signed = signYamlText(yml('2.0.0', file), testSecret);
    // Same signature block, another installer: what a compromised feed host would serve.
    writeFeed('latest-linux.yml', signed.replaceAll(file.url, evil.url).replaceAll(file.sha512, evil.sha512));
    const run = app('1.0.0');
    const status = await run.ctl.checkNow();
    expect(status.state).toBe('error');
    expect(status.error).toMatch(/does not match its files/);
    expect(requests).toEqual(['latest-linux.yml']);
    expect(run.logs.find((l) => l.level === 'error' && l.msg === 'update refused')?.obj.reason).toBe('bad-signature');
    expect(failuresLogged(run)).toBe(1);
  });

  it('refuses an unsigned release and one signed by a key the app does not pin', async () => {
    const file = publish('2.0.0');
    writeFeed('latest-linux.yml', yml('2.0.0', file));
    const unsigned = app('1.0.0');
    expect((await unsigned.ctl.checkNow()).error).toMatch(/not signed/);
    const stranger = generateKeyPair();
    writeFeed('latest-linux.yml', signYamlText(yml('2.0.0', file), secretKeyFromBase64(stranger.secret)));
    const other = app('1.0.0');
    expect((await other.ctl.checkNow()).error).toMatch(/does not trust/);
    expect(requests.filter((r) => r.endsWith('.AppImage'))).toEqual([]);
  });

  it('staged rollout: stagingPercentage (unsigned, editable after signing) offers the release to that share of installs', async () => {
    const file = publish('2.0.0');
    // Added after signing, as a release manager widens a rollout without the key.
    writeFeed('latest-linux.yml', `${signYamlText(yml('2.0.0', file), testSecret)}stagingPercentage: 10\n`);
    // electron-updater places an install by the last 4 bytes of its staging id: 0.0 and 1.0 here.
    const early = app('1.0.0', 'stable', { stagingId: '12345678-1234-5234-9234-000000000000' });
    const late = app('1.0.0', 'stable', { stagingId: '12345678-1234-5234-9234-0000ffffffff' });
    expect(await early.ctl.checkNow()).toMatchObject({ state: 'ready', availableVersion: '2.0.0' });
    expect(await late.ctl.checkNow()).toMatchObject({ state: 'up-to-date' });
  });
});

describe('createUpdater', () => {
  const base = { env: { APPIMAGE: '/opt/Tern.AppImage' }, packaged: true, feedUrl: 'https://updates.example.com/tern/', policy: { updatesDisabled: false, source: 'none' as const }, log: { info() {}, warn() {}, error() {} } };
  it('gives no updater when unpackaged, without a feed, by policy, or for a deb install', () => {
    expect(createUpdater({ ...base, platform: 'linux', packaged: false })).toEqual({ updater: null });
    expect(createUpdater({ ...base, platform: 'linux', feedUrl: null })).toEqual({ updater: null });
    expect(createUpdater({ ...base, platform: 'win32', policy: { updatesDisabled: true, source: 'file' } })).toEqual({ updater: null, disabledBy: 'admin' });
    expect(createUpdater({ ...base, platform: 'linux', env: {} })).toEqual({ updater: null, disabledBy: 'package-manager' });
  });
});
