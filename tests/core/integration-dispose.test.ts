/** dispose() leaves nothing behind: no socket, no timer, files closed. */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { client, PASSWORD, waitFor, waitOnline } from './helpers/clients';
import { childServer, tempDir, type ChildServer } from './helpers/server';

let server: ChildServer | undefined;
const root = tempDir('dispose');

afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('dispose', () => {
  it('closes the socket and clears every timer of the core', async () => {
    server = await childServer(`${root}/server`);
    const before = resources();
    const core = await client(root, 'peggy', [server.endpoint]);
    await core.register({ username: 'peggy', password: PASSWORD });
    await waitOnline(core);
    await core.sendMessage({ key: 'u:999999', text: 'to nobody: fails on the server, stays in the outbox' });
    const during = resources();
    expect(during.TCPSocketWrap ?? 0).toBeGreaterThan(before.TCPSocketWrap ?? 0);
    await core.dispose();
    // Socket handles are released on the next turns of the loop.
    await waitFor(() => (resources().TCPSocketWrap ?? 0) === (before.TCPSocketWrap ?? 0), 'socket released', 2000).catch(() => undefined);
    const after = resources();
    expect(after.TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
    // The cache file is closed: it can be removed and reopened by a new core.
    const again = await client(root, 'peggy', [server.endpoint]);
    await again.login({ username: 'peggy' });
    await again.dispose();
  });
});
