/**
 * `npm start`: run Tern on this machine.
 *   - No server configured (TERN_SERVERS unset, no --server): start the IM
 *     server embedded in this process (data in DATA/server) and use it.
 *   - Electron binary present: (re)build if needed and launch the desktop app.
 *     Otherwise: start the web shell and print the link to open in a browser.
 * `npm run demo` (--demo): a separate demo server (DATA/demo), accounts
 *   alice, bob and carol with friends, a group and history, one window or link each.
 *
 * What it prints is for people: on stdout the web shell's link with its
 * secret comes first, alone on its line (so `npm start -s | head -1` is the
 * link), then what runs where; progress notes (building, seeding) go to
 * stderr. The JSON logs of the embedded server, the web shell and the core go
 * to a file (DATA/logs/start.log, or DATA/demo/logs/start.log), or to stderr
 * with `--logs stderr`. See `--help`.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { ClientCore } from '../electron/core';
import { startWebShell, startWebShellCore, type WebShell } from '../electron/web-shell';
import { startServer, type RunningServer } from '../server';
import type { ServerEndpoint } from '../shared/ipc';
import { parseServersEnv } from '../electron/host/servers';
import { buildBundles, bundlesAreStale } from './lib/build-if-stale';
import { demoPassword, demoUsers, seedDemo } from './lib/demo-seed';
import { electronBinary, electronInstallHint } from './lib/electron-binary';
import { logLevels, openStartLog, type LogLevel, type StartLog } from './lib/start-log';

const root = resolve(import.meta.dirname, '..');

const usage = `Usage: npm start -- [options]      (npm run demo -- [options] for the demo accounts)

  --web                 the web shell even where the desktop app could open
  --server HOST:PORT:KEY  use this server (the key it prints) instead of an embedded one
  --port N              the web shell's port (default: any free one; or TERN_WEB_PORT)
  --data DIR            where data and logs live (default: ./data)
  --data-dir PATH       the client's data instead of DATA/client: a second profile
                        (the desktop app gets it as --user-data-dir)
  --logs FILE|stderr    where the JSON logs go (default: DATA/logs/start.log)
  --log-level LEVEL     ${logLevels.join('|')} (default info)
  --no-build            do not rebuild the app even if its sources are newer
  --demo                the demo: alice, bob and carol, one window or link each
  -h, --help            this text`;

function readFlags() {
  try {
    return parseArgs({
      options: {
        demo: { type: 'boolean', default: false },
        web: { type: 'boolean', default: false },
        server: { type: 'string' },
        port: { type: 'string' },
        data: { type: 'string' },
        'data-dir': { type: 'string' },
        logs: { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        'no-build': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message.split('\n')[0]}\n\n${usage}\n`);
    process.exit(2);
  }
}

const flags = readFlags();
if (flags.help) {
  process.stdout.write(usage + '\n');
  process.exit(0);
}
const demo = flags.demo ?? false;
const dataRoot = resolve(flags.data ?? join(root, 'data'), demo ? 'demo' : '');
const level = flags['log-level'] as LogLevel;
const webPort = Number(flags.port ?? process.env.TERN_WEB_PORT ?? 0);
for (const problem of [
  logLevels.includes(level) ? '' : `--log-level must be one of ${logLevels.join(', ')}`,
  Number.isInteger(webPort) && webPort >= 0 && webPort <= 65535 ? '' : '--port (or TERN_WEB_PORT) must be a port number, 0 for any free one',
]) {
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(2);
  }
}
const log: StartLog = openStartLog(flags.logs ?? join(dataRoot, 'logs', 'start.log'), level);
const logger: Logger = log.logger;

/** A path as people read it: relative to where they are when it is inside. */
function shown(path: string): string {
  const cwd = process.cwd();
  if (path === cwd) return '.';
  return path.startsWith(cwd + sep) ? path.slice(cwd.length + 1) : path;
}
const say = (line = '') => process.stdout.write(line + '\n');
const note = (line: string) => process.stderr.write(line + '\n');

function parseServerFlag(raw: string): ServerEndpoint[] {
  const m = /^([^:]+):(\d+):([A-Za-z0-9+/]{43}=)$/.exec(raw);
  if (!m) throw new Error('--server must be HOST:PORT:PUBLICKEY (the key the server prints)');
  return parseServersEnv(JSON.stringify([{ host: m[1], port: Number(m[2]), publicKey: m[3] }]));
}

/** Lines printed after the link(s): what runs, where things are. */
const details: string[] = [];

/** The embedded server on `port`, or on a free port (with a note saying so) when `port` is taken. */
async function embeddedServer(dataDir: string, port: number): Promise<{ server: RunningServer; note?: string }> {
  mkdirSync(dataDir, { recursive: true });
  const options = { logger: logger.child({ svc: 'tern-server' }) };
  try {
    return { server: await startServer({ host: '127.0.0.1', port, dataDir }, options) };
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    const server = await startServer({ host: '127.0.0.1', port: 0, dataDir }, options);
    return { server, note: `Port ${port} was busy, so the embedded server took ${server.port} (saved client settings may still point at ${port}).` };
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
        logger.error({ err: error }, 'cleanup failed');
      }
    }
    logger.flush();
    log.close();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

function printDetails(): void {
  say();
  for (const line of details) say(line);
  say(`Logs (JSON): ${shown(log.where)}${log.where === 'stderr' ? '' : ` (npm ${demo ? 'run demo' : 'start'} -- --logs stderr shows them here)`}`);
  say('Ctrl+C to stop.');
}

async function main(): Promise<void> {
  let servers: ServerEndpoint[] = flags.server ? parseServerFlag(flags.server) : parseServersEnv(process.env.TERN_SERVERS);
  if (servers.length === 0) {
    const dir = join(dataRoot, 'server');
    const { server, note: busy } = await embeddedServer(dir, demo ? 7810 : 7800);
    cleanups.push(() => server.close());
    servers = [{ host: server.host, port: server.port, publicKey: server.publicKeyBase64 }];
    details.push(`Server: ${server.host}:${server.port}, embedded, data in ${shown(dir)} (key ${server.publicKeyBase64})`);
    if (busy) details.push(busy);
  } else {
    details.push(`Server: ${servers.map((s) => `${s.host}:${s.port}`).join(', ')}`);
  }

  const electron = flags.web ? null : electronBinary(root);
  if (!electron && !flags.web) details.push(`No desktop app here, so Tern runs in the browser. ${electronInstallHint}`);
  if (!flags['no-build'] && bundlesAreStale(root, electron !== null)) {
    const buildLog = log.where === 'stderr' ? undefined : join(dataRoot, 'logs', 'build.log');
    note(`Building the app (electron-vite build${buildLog ? `, output in ${shown(buildLog)}` : ''})…`);
    const output = buildLog ? openStartLog(buildLog, 'silent') : undefined;
    try {
      buildBundles(root, output?.fd ?? 2);
    } finally {
      output?.close();
    }
  }

  // One client per account: demo => alice, bob, carol; otherwise one.
  const profiles = demo ? demoUsers.map((u) => u.username) : ['default'];
  if (demo && flags['data-dir']) throw new Error('--data-dir chooses one profile; the demo keeps its own (DATA/demo)');
  const profileDir = flags['data-dir'] ? resolve(process.cwd(), flags['data-dir']) : join(dataRoot, 'client');
  const clientDir = (name: string) => (demo ? join(dataRoot, name) : profileDir);
  const coreLog = (name: string) => logger.child({ svc: 'core', profile: name });
  // The core thread filters its records itself; the levels it knows.
  const coreLevel = level === 'debug' || level === 'trace' ? 'debug' : level === 'warn' ? 'warn' : level === 'info' ? 'info' : 'error';

  if (demo) {
    note('Seeding the demo accounts…');
    const cores = (await Promise.all(
      profiles.map((name) => startWebShellCore({ dataDir: join(clientDir(name), 'data'), defaultServers: servers, deviceName: `demo-${name}`, log: coreLog(name), logLevel: coreLevel })),
    )) as [ClientCore, ClientCore, ClientCore];
    for (const core of cores) await core.updateSettings({ servers });
    await seedDemo(cores);
    if (electron) {
      await Promise.all(cores.map((c) => c.dispose())); // Electron opens these data directories itself
    } else {
      const shells = await Promise.all(cores.map((core, i) => startWebShell({ core, log: logger.child({ svc: 'web-shell', profile: profiles[i] }) })));
      cleanups.push(async () => {
        for (const s of shells) await s.close();
        for (const c of cores) await c.dispose();
      });
      shells.forEach((s, i) => {
        say(s.url);
        say(`  ↑ ${profiles[i]}`);
      });
      details.unshift(`Tern demo: open each link in its own browser window (each holds this launch's secret key). Password of alice, bob and carol: ${demoPassword}`);
      printDetails();
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
    say(demo ? `Tern demo: one desktop window each for alice, bob and carol (password ${demoPassword}).` : 'Tern is open in the desktop app.');
    printDetails();
    return;
  }

  const core = await startWebShellCore({ dataDir: clientDir('default'), defaultServers: servers, deviceName: 'web', log: coreLog('default'), logLevel: coreLevel });
  // We started (or were told) which server to use: point the client at it.
  await core.updateSettings({ servers });
  const shell: WebShell = await startWebShell({ core, port: webPort, log: logger.child({ svc: 'web-shell' }) });
  cleanups.push(async () => {
    await shell.close();
    await core.dispose();
  });
  say(shell.url);
  details.unshift("Tern is running: open the link above in your browser. It holds this launch's secret key (a new one at every start); the address without it is refused.");
  details.push(`Client data: ${shown(clientDir('default'))}`);
  printDetails();
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'npm start failed');
  note(`Tern could not start: ${error instanceof Error ? error.message : String(error)}${log.where === 'stderr' ? '' : ` (details in ${shown(log.where)})`}`);
  void stop(1);
});
