/**
 * How long and how wide the chaos suite runs, from the environment that
 * `npm run test:chaos` (tests/chaos/run.ts) sets:
 *
 * - CHAOS_SEED: one seed for every scenario (replay a failure);
 * - CHAOS_SEEDS: how many fresh random seeds the random runner tries (default: none, the fixed CI list; --long: 200);
 * - CHAOS_LONG=1: bigger bursts and longer faults.
 */
export function chaosSeed(fallback: number): number {
  const fromEnv = Number(process.env.CHAOS_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

export const longMode = process.env.CHAOS_LONG === '1';

export function seedCount(fallback: number): number {
  const fromEnv = Number(process.env.CHAOS_SEEDS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}
