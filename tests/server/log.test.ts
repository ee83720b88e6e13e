// Only JSON on the server's stderr, even for what Node itself prints there: warnings and crashes.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function run(code: string): { status: number | null; lines: Array<Record<string, unknown>>; raw: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  return { status: result.status, raw: result.stderr, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const setup = "import { createLogger, routeProcessEvents } from './server/log.ts'; const logger = createLogger('info'); routeProcessEvents(logger);";

it('a Node warning and an uncaught exception become JSON records; the process exits 1', () => {
  const result = run(`${setup} process.emitWarning('old API', 'DeprecationWarning', 'DEP0999'); setTimeout(() => { throw new Error('boom'); }, 20);`);
  expect(result.status).toBe(1);
  expect(result.raw).not.toMatch(/\(node:\d+\) \[DEP0999\]/); // Node's own plain-text warning line
  // Both records, nothing else; their order on a busy machine is the writer's (asynchronous pino), not a promise.
  const [warning, crash] = [...result.lines].sort((a, b) => Number(a.level) - Number(b.level));
  expect(result.lines).toHaveLength(2);
  expect([warning!.level, warning!.msg, crash!.level, crash!.msg]).toEqual([40, 'node warning', 60, 'uncaught exception']);
  expect(warning!.warning).toEqual({ name: 'DeprecationWarning', code: 'DEP0999', message: 'old API' });
  expect((crash!.err as { message: string }).message).toBe('boom');
});

it('an unhandled rejection too', () => {
  const result = run(`${setup} void Promise.reject(new Error('lost'));`);
  expect(result.status).toBe(1);
  expect(result.lines.map((l) => l.msg)).toEqual(['unhandled rejection']);
});

it('without it, Node prints plain text there (what the test above guards against)', () => {
  const result = spawnSync(process.execPath, ['-e', "process.emitWarning('old API', 'DeprecationWarning', 'DEP0999')"], { encoding: 'utf8' });
  expect(result.stderr).toMatch(/^\(node:\d+\) \[DEP0999\] DeprecationWarning: old API/);
});
