/**
 * `npm run test:chaos [-- options] [vitest args]`: the chaos project alone.
 *
 *   --long            bigger bursts, longer faults, 200 random seeds (CHAOS_LONG=1)
 *   --seeds N         how many fresh random seeds the random runner tries (default: a fixed list, --long 200)
 *   --seed S          replay: every scenario and the random runner use seed S
 *   --soak MINUTES    the soak instead (tests/chaos/soak.ts): 50 clients chatting under random faults
 *                     (--clients N, --out FILE go to the soak)
 *
 * Anything else goes to vitest (e.g. a file name, `-t pattern`).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const env: Record<string, string> = {};
const rest: string[] = [];
let soak: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = () => {
    const v = args[++i];
    if (v === undefined || !/^\d+$/.test(v)) {
      console.error(`${a} needs a positive whole number`);
      process.exit(2);
    }
    return v;
  };
  if (a === '--long') env.CHAOS_LONG = '1';
  else if (a === '--seeds') env.CHAOS_SEEDS = value();
  else if (a === '--seed') env.CHAOS_SEED = value();
  else if (a === '--soak') soak = value();
  else rest.push(a);
}
if (env.CHAOS_LONG && !env.CHAOS_SEEDS) env.CHAOS_SEEDS = '200';

const run = (cmd: string, argv: string[]) => spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;
if (soak !== undefined) process.exit(run(process.execPath, ['--import', 'tsx', 'tests/chaos/soak.ts', '--minutes', soak, ...rest]));
// Long mode: a scenario can take many minutes; vitest's per-test timeout would cut it.
const timeout = env.CHAOS_LONG || env.CHAOS_SEEDS ? ['--testTimeout', '0', '--hookTimeout', '600000'] : [];
process.exit(run(process.execPath, [resolve(root, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'chaos', ...timeout, ...rest]));
