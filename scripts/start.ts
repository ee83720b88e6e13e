/**
 * `npm start`: run Tern on this machine.
 *   - No server configured (TERN_SERVERS unset, no --server): start the IM
 *     server embedded in this process (data in ./data/server) and use it.
 *   - Electron binary present: (re)build if needed and launch the desktop app.
 *     Otherwise: start the web shell and print the URL to open in a browser.
 * `npm run demo` (--demo): a separate demo server (./data/demo), accounts
 *   alice, bob and carol with friends, a group and history, one window or URL each.
 * Flags: --web (web shell even if Electron is installed), --server HOST:PORT:PUBLICKEY,
 *        --port N (web shell port), --demo, --data-dir PATH (the client's data: a second
 *        profile beside ./data/client; the desktop app gets it as --user-data-dir).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { ClientCore } from '../electron/core';
import { startWebShell, startWebShellCore, type WebShell } from '../electron/web-shell';
import { startServer, type RunningServer } from '../server';
import type { ServerEndpoint } from '../shared/ipc';
import { parseServersEnv } from '../electron/host/servers';
import { buildBundles, bundlesAreStale } from './lib/build-if-stale';
import { demoPassword, demoUsers, seedDemo } from './lib/demo-seed';
import { electronBinary, electronInstallHint } from './lib/electron-binary';

const root = resolve(import.meta.dirname, '..');

const { values: flags } = parseArgs({
  options: {
    demo: { type: 'boolean', default: false },
    web: { type: 'boolean', default: false },
    server: { type: 'string' },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

function parseServerFlag(raw: string): ServerEndpoint[] {
  const m = /^([^:]+):(\d+):([A-Za-z0-9+/]{43}=)$/.exec(raw);
  if (!m) throw new Error('--server must be HOST:PORT:PUBLICKEY (the key the server prints)');
  return parseServersEnv(JSON.stringify([{ host: m[1], port: Number(m[2]), publicKey: m[3] }]));
}

async function embeddedServer(dataDir: string, port: number): Promise<RunningServer> {
  mkdirSync(dataDir, { recursive: true });
  try {
    return await startServer({ host: '127.0.0.1', port, dataDir, logLevel: 'warn' });
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      console.warn(`Port ${port} is busy; the embedded server takes a free port (saved client settings may point at ${port}).`);
      return startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'warn' });
    }
    throw error;
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
let stopping = false;
async function stop(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(error);
      }
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

async function main(): Promise<void> {
  const demo = flags.demo ?? false;
  const dataRoot = join(root, 'data', demo ? 'demo' : '');
  let servers: ServerEndpoint[] = flags.server ? parseServerFlag(flags.server) : parseServersEnv(process.env.TERN_SERVERS);
  if (servers.length === 0) {
    const server = await embeddedServer(join(dataRoot, 'server'), demo ? 7810 : 7800);
    cleanups.push(() => server.close());
    servers = [{ host: server.host, port: server.port, publicKey: server.publicKeyBase64 }];
    console.log(`Embedded server on ${server.host}:${server.port} (key ${server.publicKeyBase64}), data in ${join(dataRoot, 'server')}`);
  }

  const electron = flags.web ? null : electronBinary(root);
  if (!electron && !flags.web) console.log(electronInstallHint, '\nStarting the web shell instead.');
  if (bundlesAreStale(root, electron !== null)) buildBundles(root);

  // One client per account: demo => alice, bob, carol; otherwise one.
  const profiles = demo ? demoUsers.map((u) => u.username) : ['default'];
  if (demo && flags['data-dir']) throw new Error('--data-dir chooses one profile; the demo keeps its own (./data/demo)');
  const profileDir = flags['data-dir'] ? resolve(process.cwd(), flags['data-dir']) : join(root, 'data', 'client');
  const clientDir = (name: string) => (demo ? join(dataRoot, name) : profileDir);

  if (demo) {
    console.log('Seeding the demo accounts…');
    const cores = (await Promise.all(profiles.map((name) => startWebShellCore({ dataDir: join(clientDir(name), 'data'), defaultServers: servers, deviceName: `demo-${name}` })))) as [ClientCore, ClientCore, ClientCore];
    for (const core of cores) await core.updateSettings({ servers });
    await seedDemo(cores);
    console.log(`Demo accounts: ${demoUsers.map((u) => u.username).join(', ')} — password: ${demoPassword}`);
    if (electron) {
      await Promise.all(cores.map((c) => c.dispose())); // Electron opens these data directories itself
    } else {
      const shells = await Promise.all(cores.map((core) => startWebShell({ core })));
      cleanups.push(async () => {
        for (const s of shells) await s.close();
        for (const c of cores) await c.dispose();
      });
      shells.forEach((s, i) => console.log(`  ${profiles[i]}: ${s.url}`));
      console.log('Open each URL in its own browser window (Ctrl+C to stop).');
      return;
    }
  }

  if (electron) {
    const children: ChildProcess[] = profiles.map((name) =>
      spawn(electron, [root, ...(demo || flags['data-dir'] ? [`--user-data-dir=${clientDir(name)}`] : [])], {
        stdio: 'inherit',
        env: { ...process.env, TERN_SERVERS: JSON.stringify(servers) },
      }),
    );
    let running = children.length;
    for (const child of children) {
      child.on('exit', () => {
        running -= 1;
        if (running === 0) void stop(0);
      });
    }
    cleanups.push(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    });
    return;
  }

  const core = await startWebShellCore({ dataDir: clientDir('default'), defaultServers: servers, deviceName: 'web' });
  // We started (or were told) which server to use: point the client at it.
  await core.updateSettings({ servers });
  const port = flags.port ? Number(flags.port) : Number(process.env.TERN_WEB_PORT ?? 0);
  const shell: WebShell = await startWebShell({ core, port });
  cleanups.push(async () => {
    await shell.close();
    await core.dispose();
  });
  console.log(`\nTern is running (client data in ${clientDir('default')}). Open this URL in your browser (it holds this launch's secret):\n\n  ${shell.url}\n\nCtrl+C to stop.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void stop(1);
});
