// The compiled server (npm run build:server): one bundle plus its native addon, run with plain node from a
// directory outside the repository, as the systemd unit and the Dockerfile in deploy/ run it: as an unprivileged
// user (when the test runs as root), umask 077, no new privileges, configured by environment.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from '../../shared/protocol';
import { TestClient } from '../server/helpers/client';
import { spawnServerCommand, type ServerProcess } from '../server/helpers/process';

const root = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'tern-compiled-'));
const out = join(work, 'opt', 'tern-server');
const data = join(work, 'var', 'tern');
const asRoot = userInfo().uid === 0;
/** The unit's User=, UMask=0077 and NoNewPrivileges=yes, where the test can set them (as root). */
const sandbox = asRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--no-new-privs', 'sh', '-c', 'umask 077; exec "$0" "$@"'] : [];

beforeAll(() => {
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-server.ts', '--out', out], { cwd: root, encoding: 'utf8' });
  expect(built.stderr).toBe('');
  expect(built.status).toBe(0);
  chmodSync(work, 0o755);
  mkdirSync(join(work, 'var'), { mode: 0o755 });
  mkdirSync(data, { mode: 0o700 });
  if (asRoot) chownSync(data, 65534, 65534);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const commit = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
const env = { PATH: process.env.PATH, TERN_SERVER_DATA: data, TERN_SERVER_PORT: '0', TERN_SERVER_METRICS_PORT: '0', TERN_SERVER_SCRYPT: '{"N":1024,"r":8,"p":1}' };

describe('compiled server', () => {
  it('is a bundle with its native addon, its licence and the build written in', () => {
    const main = readFileSync(join(out, 'main.js'), 'utf8');
    expect(main.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(join(out, 'main.js')).mode & 0o111).not.toBe(0);
    expect(main).not.toMatch(/from ["']tsx|require\(["']tsx/);
    expect(main).not.toContain(root); // nothing points back into the repository
    expect(main).toContain(`commit: "${commit}"`);
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as { bin: unknown; license: string; dependencies: Record<string, string> };
    expect(pkg).toMatchObject({ bin: { 'tern-server': 'main.js' }, license: 'Apache-2.0' });
    expect(Object.keys(pkg.dependencies)).toContain('better-sqlite3');
    expect(readFileSync(join(out, 'LICENSE'), 'utf8')).toContain('Apache License');
    const version = spawnSync(process.execPath, [join(out, 'main.js'), '--version'], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(version.stdout).toMatch(new RegExp(`^tern-server \\d+\\.\\d+\\.\\d+ \\(commit ${commit}, node `));
  });

  describe('running as the unit runs it', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await spawnServerCommand([...sandbox, process.execPath, join(out, 'main.js')], { cwd: '/', env });
    }, 60_000);
    afterAll(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });

    it('serves clients, writes private files, reports ready, logs JSON only, and stops on SIGTERM', async () => {
      const client = await TestClient.connect(server);
      await client.register('compiled_user');
      const pong = await client.call(Command.PING, { sentAt: 1n });
      expect(pong.sentAt).toBe(1n);
      await client.close();

      for (const f of ['tern.db', 'tern.db-wal', 'server.key']) {
        const st = statSync(join(data, f));
        expect(st.mode & 0o777, f).toBe(0o600);
        if (asRoot) expect(st.uid, f).toBe(65534);
      }
      const ops = JSON.parse(server.stderr().split('\n').find((l) => l.includes('metrics and health endpoint'))!) as { port: number };
      const ready = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${ops.port}/metrics`)).text()).toContain(`tern_build_info{version="`);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const lines = server.stderr().split('\n').filter((l) => l !== '');
      expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(expect.arrayContaining(['starting', 'listening', 'stopped']));
    });
  });
});
