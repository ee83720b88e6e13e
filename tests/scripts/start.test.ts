// `npm start` and `npm run demo` as a person sees them: the web shell's link with its secret first and alone,
// lines for people after it, no JSON on the terminal (it goes to the log file unless --logs stderr), and the
// bare address answered with the page that says to use the printed link.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const linkLine = /^http:\/\/127\.0\.0\.1:(\d+)\/\?k=[A-Za-z0-9_-]{43}$/;

interface Launch {
  child: ChildProcess;
  /** stdout lines up to and including "Ctrl+C to stop." */
  lines: string[];
  stderr(): string;
  stop(): Promise<number | null>;
}

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempData(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tern-start-test-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs scripts/start.ts (one node process, so SIGINT reaches it) until it says how to stop it. */
function launch(args: string[]): Promise<Launch> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--web', '--no-build', ...args], {
    cwd: root,
    env: { ...process.env, TERN_SERVERS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    return exited;
  };
  cleanup.push(stop);
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    void exited.then((code) => reject(new Error(`start exited (${code}) early\nstdout:\n${lines.join('\n')}\nstderr:\n${err}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line === 'Ctrl+C to stop.') resolve({ child, lines, stderr: () => err, stop });
    });
  });
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('npm start', () => {
  it('prints the link with its secret first and alone, keeps JSON logs in a file, and stops on Ctrl+C', async () => {
    const data = tempData();
    const run = await launch(['--data', data]);
    expect(run.lines[0]).toMatch(linkLine);
    expect(run.lines[1]).toBe('');
    expect(run.lines.slice(2).join('\n')).toContain('open the link above in your browser');
    expect(run.lines.join('\n')).toMatch(/^Server: 127\.0\.0\.1:\d+, embedded, data in /m);
    expect(run.lines.join('\n')).toContain(`Logs (JSON): ${join(data, 'logs', 'start.log')}`);
    // Only the first line holds a link; none of the lines is a log record.
    expect(run.lines.filter((l) => l.includes('http://'))).toEqual([run.lines[0]]);
    expect(run.lines.some((l) => l.startsWith('{'))).toBe(false);

    // The bare address: the page that says to use the printed link; logged in the file, not on the terminal.
    const origin = run.lines[0]!.replace(/\/\?k=.*$/, '');
    const bare = await fetch(origin + '/', { headers: { accept: 'text/html' } });
    expect(bare.status).toBe(403);
    expect(await bare.text()).toContain('Open Tern with the link from the terminal');
    expect((await fetch(run.lines[0]!)).status).not.toBe(403);

    expect(await run.stop()).toBe(0);
    expect(run.stderr()).toBe('');
    const logFile = join(data, 'logs', 'start.log');
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
    const records = jsonLines(readFileSync(logFile, 'utf8'));
    const messages = records.map((r) => `${String(r.svc)}: ${String(r.msg)}`);
    expect(messages).toEqual(expect.arrayContaining(['tern-server: listening', 'web-shell: web shell listening', 'web-shell: web shell refused a request', 'tern-server: stopped']));
    expect(readFileSync(logFile, 'utf8')).not.toContain(run.lines[0]!.split('?k=')[1]!); // never the secret
  }, 120_000);

  it('--logs stderr puts the JSON logs on the terminal instead', async () => {
    const run = await launch(['--data', tempData(), '--logs', 'stderr']);
    expect(run.lines[0]).toMatch(linkLine);
    await expect.poll(() => run.stderr()).toContain('web shell listening');
    expect(await run.stop()).toBe(0);
    const records = jsonLines(run.stderr());
    expect(records.map((r) => r.msg)).toEqual(expect.arrayContaining(['listening', 'web shell listening', 'stopped']));
  }, 120_000);

  it('the demo prints one link per account, each alone on its line, the account under it', async () => {
    const run = await launch(['--demo', '--data', tempData()]);
    expect(run.lines.slice(0, 6).map((l, i) => (i % 2 === 0 ? linkLine.test(l) : l))).toEqual([true, '  ↑ alice', true, '  ↑ bob', true, '  ↑ carol']);
    expect(run.lines.join('\n')).toContain('Password of alice, bob and carol: tern-demo');
    expect(run.stderr()).toBe('Seeding the demo accounts…\n');
    expect(await run.stop()).toBe(0);
  }, 180_000);

  it('refuses a bad flag with the usage and exit 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--nope'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/^Unknown option '--nope'/);
    expect(err).toContain('Usage: npm start -- [options]');
  }, 60_000);
});
