// A second profile on one machine: `npm start -- --web --data-dir PATH` runs
// a web shell on its own client data directory beside another one, against a
// real server; each profile keeps its own settings.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/index';
import { buildBundles, bundlesAreStale } from '../../scripts/lib/build-if-stale';

const root = resolve(import.meta.dirname, '../..');
let server: RunningServer;
let serverDir: string;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  if (bundlesAreStale(root, false)) buildBundles(root);
  serverDir = mkdtempSync(join(tmpdir(), 'tern-profiles-server-'));
  server = await startServer({ host: '127.0.0.1', port: 0, dataDir: serverDir, logLevel: 'silent', scrypt: { N: 1024, r: 8, p: 1 } });
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await server?.close();
  for (const d of [serverDir, ...dirs]) if (d) rmSync(d, { recursive: true, force: true });
});

/** Starts `npm start -- --web --data-dir DIR --server ...` and resolves with its URL once it runs. */
function startProfile(dir: string): Promise<string> {
  const logs = join(dir, 'start.log'); // not the repository's data/logs
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/start.ts'), '--web', '--data-dir', dir, '--logs', logs, '--server', `${server.host}:${server.port}:${server.publicKeyBase64}`], {
    cwd: root,
    env: { ...process.env, TERN_SERVERS: '', TERN_WEB_PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      // The link first and alone, then the details (Client data: ...).
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/\?k=\S+)\n[\s\S]*^Client data: (.+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        expect(m[2]).toBe(dir);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${out}`)));
  });
}

describe('profiles', () => {
  it('two web shells run side by side, each on its own data directory', async () => {
    const work = mkdtempSync(join(tmpdir(), 'tern-profile-work-'));
    const home = mkdtempSync(join(tmpdir(), 'tern-profile-home-'));
    dirs.push(work, home);
    const [a, b] = await Promise.all([startProfile(work), startProfile(home)]);
    expect(a).not.toBe(b);
    for (const dir of [work, home]) {
      expect(existsSync(join(dir, 'settings.json'))).toBe(true);
      const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as { servers: Array<{ port: number }> };
      expect(settings.servers[0]!.port).toBe(server.port);
    }
  }, 120_000);
});
