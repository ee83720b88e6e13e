/** Starts an in-process server on a temp data directory, tuned for fast tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type RunningServer, type ServerConfig } from '../../../server';
import type { Clock } from '../../../server/clock';
import { TestClient } from './client';
import { freshStore } from './store';

export interface TestServer extends RunningServer {
  dataDir: string;
  client(): Promise<TestClient>;
  /** A connected client, registered as `username`. */
  user(username: string): Promise<TestClient>;
}

export function tempDir(prefix = 'tern-server-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Cheap scrypt for tests (the default costs 32 MiB and ~100 ms per hash). */
export const testScrypt = { N: 1024, r: 8, p: 1 };

export async function startTestServer(overrides: Partial<ServerConfig> = {}, clock?: Clock): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? tempDir();
  const store = overrides.store ?? (await freshStore());
  const server = await startServer(
    { port: 0, host: '127.0.0.1', scrypt: testScrypt, logLevel: 'silent', registrationsPerAddress: 10_000, ...overrides, dataDir, store },
    { logger: pino({ level: process.env.TERN_TEST_LOG ?? 'silent' }), ...(clock ? { clock } : {}) },
  );
  const endpoint = { host: server.host, port: server.port, publicKey: server.publicKey };
  return {
    ...server,
    dataDir,
    client: () => TestClient.connect(endpoint),
    user: async (username) => {
      const c = await TestClient.connect(endpoint);
      await c.register(username);
      return c;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * One server for a test file: started before the tests, stopped (with every
 * client it handed out) after them.
 */
export function serverFixture(overrides: Partial<ServerConfig> = {}, clock?: Clock) {
  let current: TestServer | undefined;
  const open: TestClient[] = [];
  beforeAll(async () => {
    current = await startTestServer(overrides, clock);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await current?.close();
    if (current) removeDir(current.dataDir);
  });
  const track = (c: TestClient) => (open.push(c), c);
  return {
    get server(): TestServer {
      if (!current) throw new Error('serverFixture: used outside a test');
      return current;
    },
    /** A connected, registered client, closed after the file. */
    user: async (username: string) => track(await current!.user(username)),
    /** A connected anonymous client, closed after the file. */
    client: async () => track(await current!.client()),
    track,
  };
}
