/**
 * A private PostgreSQL for tests and benchmarks: `initdb` into a temporary
 * directory, `pg_ctl start` on a free loopback port (Unix socket in the same
 * directory), never a server someone else started. PostgreSQL refuses to run
 * as root, so as root every command runs as the `postgres` system user the
 * Debian package creates (`runuser -u postgres --`); as anyone else, as that
 * user. Binaries: Debian's /usr/lib/postgresql/<version>/bin (15 or newer),
 * installed by scripts/ensure-test-deps.sh.
 *
 *   const pg = await startPostgres();          // one instance
 *   const db = await pg.createDatabase();      // a fresh, empty database: db.url
 *   await db.drop();
 *   await pg.stop({ mode: 'immediate' });       // a crash, as far as PostgreSQL can tell
 *   await pg.start();                           // same data, same port
 *   await pg.destroy();                         // stop and remove the directory
 *
 * A test run shares one instance (tests/support/postgres-global-setup.ts)
 * and gives each test file its own database; a test that stops or restarts
 * PostgreSQL starts its own instance.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresOptions {
  /**
   * fsync on (default): a committed transaction survives a power cut, as in
   * production (benchmarks). Off: it survives a crash of PostgreSQL (what the
   * restart tests need) but not of the machine; much faster on a shared disk.
   */
  fsync?: boolean;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
}

export interface TestDatabase {
  name: string;
  /** postgres://tern@127.0.0.1:PORT/NAME */
  url: string;
  drop(): Promise<void>;
}

export interface PostgresInstance {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The temporary directory: data/, the socket, postgres.log. */
  readonly dir: string;
  url(database?: string): string;
  createDatabase(prefix?: string): Promise<TestDatabase>;
  /** The server's log (for test failure messages). */
  log(): string;
  /** pg_ctl stop: `fast` (clean) or `immediate` (no shutdown checkpoint: a crash and recovery on the next start). */
  stop(options?: { mode?: 'fast' | 'immediate' }): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops (immediately) and removes the directory. Idempotent. */
  destroy(): Promise<void>;
}

const USER = 'tern';

/** The newest PostgreSQL >= 15 under /usr/lib/postgresql, or a clear error naming the package. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v) && Number(v) >= 15 && existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL 15+ is not installed (Debian package postgresql; scripts/ensure-test-deps.sh installs it)');
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0]!, 'bin');
}

const asRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL program, as the postgres user when we are root. Throws with its output on failure. */
function runPg(bin: string, program: string, args: string[]): string {
  const file = join(bin, program);
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Every instance this process started, stopped if the process exits without destroying them. */
const live = new Set<{ stopNow(): void }>();
let exitHook = false;
function onExitStop(entry: { stopNow(): void }): void {
  live.add(entry);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const e of live) e.stopNow();
  });
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresInstance> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'tern-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  if (asRoot()) {
    const { uid, gid } = pgUser();
    chownSync(dir, uid, gid);
  } else if (userInfo().username !== 'postgres') {
    chmodSync(dir, 0o700);
  }
  runPg(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', USER, '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: options.fsync === false ? 'off' : 'on',
    max_connections: 200,
    // Logs go to postgres.log; keep them short.
    log_min_messages: 'warning',
    ...options.settings,
  };
  let port = 0;
  let running = false;
  const ctl = (args: string[]) => runPg(bin, 'pg_ctl', ['-D', data, ...args]);
  const start = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      port ||= await freePort();
      const flags = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
      try {
        ctl(['-o', flags, '-l', logFile, '-w', '-t', '60', 'start']);
        running = true;
        return;
      } catch (err) {
        // Another process took the port between our probe and PostgreSQL's bind: take another.
        if (attempt >= 3 || !/could not bind|already in use|could not create listen socket/i.test(readLog())) throw withLog(err);
        port = 0;
      }
    }
  };
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const withLog = (err: unknown) => new Error(`${err instanceof Error ? err.message : String(err)}\npostgres.log:\n${readLog().slice(-4000)}`);
  const stopNow = (mode: 'fast' | 'immediate') => {
    if (!running) return;
    running = false;
    try {
      ctl(['-m', mode, '-w', '-t', '60', 'stop']);
    } catch {
      // Already gone.
    }
  };
  const entry = { stopNow: () => stopNow('immediate') };
  onExitStop(entry);
  try {
    await start();
  } catch (err) {
    live.delete(entry);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = (database = 'postgres') => `postgres://${USER}@127.0.0.1:${port}/${database}`;
  let destroyed = false;
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    user: USER,
    dir,
    url,
    log: readLog,
    async createDatabase(prefix = 'test') {
      const db = await createDatabase(url(), prefix);
      return { ...db, drop: () => (running ? db.drop() : Promise.resolve()) };
    },
    async stop(o = {}) {
      stopNow(o.mode ?? 'fast');
    },
    async start() {
      if (!running) await start();
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      stopNow('immediate');
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let databases = 0;

/** A new, empty database on the server `adminUrl` points at (any database of it); its URL and a way to drop it. */
export async function createDatabase(adminUrl: string, prefix = 'test'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${++databases}_${Date.now().toString(36)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function admin(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function pgUser(): { uid: number; gid: number } {
  const out = execFileSync('id', ['postgres'], { encoding: 'utf8' });
  const uid = /uid=(\d+)/.exec(out);
  const gid = /gid=(\d+)/.exec(out);
  if (!uid || !gid) throw new Error('no postgres system user (install the Debian package postgresql)');
  return { uid: Number(uid[1]), gid: Number(gid[1]) };
}
