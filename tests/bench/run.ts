/**
 * Benchmark dispatcher: `npm run bench -- <suite> [--out FILE] [suite args]`.
 * Loads tests/bench/<suite>.ts, whose `run(args)` prints a human summary and
 * returns the figures; they are written as JSON to --out FILE (default
 * bench-results/<suite>.json).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

/** The suites we know of, for the usage line; any tests/bench/<name>.ts exporting `run` works. */
const KNOWN_SUITES = ['protocol', 'server', 'store-worker', 'peer', 'cluster', 'pg-round-trips', 'client', 'client-cache', 'core-thread', 'ui', 'attachments'];

interface BenchModule {
  run?: unknown;
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(`usage: npm run bench -- <${KNOWN_SUITES.join('|')}> [--out FILE] [suite options]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const [suite, ...rest] = process.argv.slice(2);
  if (!suite || !/^[a-z][a-z0-9-]*$/.test(suite)) usage();
  const args: string[] = [];
  let out = path.join('bench-results', `${suite}.json`);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--out') {
      const value = rest[++i];
      if (!value) usage();
      out = value;
    } else if (arg.startsWith('--out=')) {
      out = arg.slice('--out='.length);
    } else {
      args.push(arg);
    }
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = path.join(here, `${suite}.ts`);
  if (!existsSync(file)) usage(`no benchmark suite ${suite} (tests/bench/${suite}.ts)`);
  const module = (await import(pathToFileURL(file).href)) as BenchModule;
  if (typeof module.run !== 'function') usage(`tests/bench/${suite}.ts does not export run(args)`);
  const run = module.run as (args: string[]) => Promise<Record<string, unknown>>;
  const startedAt = new Date().toISOString();
  const results = await run(args);
  const report = {
    suite,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown' },
    results,
  };
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults written to ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
