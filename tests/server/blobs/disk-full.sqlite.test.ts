/**
 * A full disk on the server: the upload fails with a clear 507, nothing is
 * stored or recorded, and the service keeps working once space is back.
 * The staging area is a 1 MiB tmpfs mounted by the test (needs root, as in
 * CI and on the development machines; elsewhere the test says why it cannot run).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encrypt, errorCode, startService, tusCreate, tusPatch, type ServiceHarness } from './helpers';

const root = process.getuid?.() === 0;
let h: ServiceHarness;
let mount: string;

describe.runIf(root)('a full disk', () => {
  beforeAll(async () => {
    mount = join(process.env.TMPDIR ?? '/tmp', `tern-full-${process.pid}-${Date.now()}`);
    mkdirSync(mount, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]);
    h = await startService({ stagingDir: mount });
  });
  afterAll(async () => {
    await h?.close();
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  it('fails the upload with 507 storage-full and acknowledges nothing', async () => {
    const file = await encrypt(new Uint8Array(2 * 1024 * 1024).fill(1));
    const token = h.token({ userId: 1, digest: file.digest, op: 'up', size: file.bytes.length });
    const created = await tusCreate(h.base, token, file.bytes.length, file.digest);
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get('location')!, h.base).toString();
    const res = await tusPatch(url, token, 0, file.bytes);
    expect(res.status).toBe(507);
    expect(await errorCode(res)).toBe('storage-full');
    expect(await h.index.get(file.digest)).toBeUndefined();
    expect(await h.backend.stat(file.digest)).toBeUndefined();
  });

  it('works again once there is room', async () => {
    // Free the space the failed upload took (the sweep would drop it once expired).
    execFileSync('sh', ['-c', `rm -f ${mount}/*`]);
    writeFileSync(join(mount, '.keep'), '');
    const file = await encrypt(new Uint8Array(100_000).fill(2));
    const token = h.token({ userId: 1, digest: file.digest, op: 'up', size: file.bytes.length });
    const created = await tusCreate(h.base, token, file.bytes.length, file.digest);
    const url = new URL(created.headers.get('location')!, h.base).toString();
    expect((await tusPatch(url, token, 0, file.bytes)).status).toBe(204);
    expect(await h.index.get(file.digest)).toBeDefined();
  });
});
