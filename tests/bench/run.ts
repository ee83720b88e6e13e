/**
 * Benchmark dispatcher: `npm run bench -- <suite> [--out FILE] [suite args]`.
 * Loads tests/bench/<suite>.ts, whose `run(args)` prints a human summary and
 * returns the figures; they are written as JSON to --out FILE (default
 * bench-results/<suite>.json).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const SUITES = ['protocol', 'server', 'client', 'ui'] as const;
type Suite = (typeof SUITES)[number];

interface BenchModule {
  run(args: string[]): Promise<Record<string, unknown>>;
}

function usage(): never {
  console.error(`usage: npm run bench -- <${SUITES.join('|')}> [--out FILE] [suite options]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const [suiteArg, ...rest] = process.argv.slice(2);
  if (!suiteArg || !(SUITES as readonly string[]).includes(suiteArg)) usage();
  const suite = suiteArg as Suite;
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
  const module = (await import(pathToFileURL(path.join(here, `${suite}.ts`)).href)) as BenchModule;
  const startedAt = new Date().toISOString();
  const results = await module.run(args);
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
