// `--store`: sqlite or a PostgreSQL URL; anything else is refused with a clear message that never echoes the value
// (a URL may hold a password); an unreachable database fails the start with a message, not a hang. Store-independent:
// runs in the `server` project only.
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/process';
import { freePort } from '../support/postgres';
import { removeDir, tempDir } from './helpers/server';

describe('--store', () => {
  it('refuses what is neither sqlite nor a postgres URL with a database, without echoing it', async () => {
    for (const bad of ['mysql://u:hunter2@h/db', 'postgres://u:hunter2@h:5432', 'sqlite3']) {
      const r = await runCli(['--port', '0', '--store', bad]);
      expect(r.code).toBe(2); // a configuration error
      expect(r.stderr).toContain('--store: expected sqlite or a postgres:// URL');
      expect(r.stderr).not.toContain('hunter2');
    }
    const env = await runCli(['--port', '0'], { TERN_SERVER_STORE: 'redis://x' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('TERN_SERVER_STORE');
  });

  it('a PostgreSQL nobody listens on: the start fails with "database unavailable"', async () => {
    const data = tempDir();
    try {
      const r = await runCli(['--port', '0', '--data', data, '--store', `postgres://tern:hunter2@127.0.0.1:${await freePort()}/tern`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/database unavailable: .*ECONNREFUSED/);
      expect(r.stderr).not.toContain('hunter2');
    } finally {
      removeDir(data);
    }
  });
});
