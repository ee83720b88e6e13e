// The packaged app runs the core's thread from the bundle (out/main/core-worker.js),
// not from the sources: built here as electron-vite builds it for a release, then
// started as a real worker thread in plain Node (Electron's main process is Node
// too) and used against a real server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoreThread } from '../../electron/host/core-thread';
import { buildBundles, bundlesAreStale } from '../../scripts/lib/build-if-stale';
import { inProcessServer } from '../core/helpers/server';

const root = resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(() => {
  if (bundlesAreStale(root, true)) buildBundles(root);
  dir = mkdtempSync(join(tmpdir(), 'tern-core-bundle-'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bundled core thread', () => {
  it('starts from out/main/core-worker.js and serves the contract', async () => {
    const { server, endpoint } = await inProcessServer(join(dir, 'server'));
    const records: string[] = [];
    const core = await startCoreThread({
      entry: pathToFileURL(join(root, 'out/main/core-worker.js')),
      config: { dataDir: join(dir, 'client'), defaultServers: [endpoint], deviceName: 'bundle', clientName: 'test', logLevel: 'info' },
      log: { info: (_o, msg) => void records.push(msg ?? ''), warn() {}, error() {} },
    });
    try {
      const session = await core.register({ username: 'bundled', password: 'correct horse battery' });
      expect(session.account.username).toBe('bundled');
      expect((await core.getSession({}))?.profile.userId).toBe(session.profile.userId);
      expect(records).toContain('logged in');
    } finally {
      await core.dispose();
      await server.close();
    }
  });
});
