/**
 * The seeded random runner: for each seed, a fresh world (three participants,
 * one of them a killable core process), random sends and random faults, then
 * settle and check every invariant. Each seed is printed; replay one with
 * `npm run test:chaos -- --seed S random`. CI runs 2 seeds; `--long` 200.
 * A seed that once failed is added to `regressions` below, for good.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { longMode, seedCount } from './support/mode';
import { randomRun } from './support/random-run';
import { World } from './support/world';

/** Seeds that found a bug once (none yet). */
const regressions: number[] = [];

function seeds(): number[] {
  const one = Number(process.env.CHAOS_SEED);
  if (Number.isInteger(one) && one > 0) return [one];
  const count = seedCount(2);
  // Fresh seeds per run (printed), plus the fixed regressions.
  const base = Math.floor(Math.random() * 1_000_000_000);
  return [...regressions, ...Array.from({ length: count }, (_, i) => base + i * 7919)];
}

let world: World | undefined;

afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

describe('seeded random scenarios', () => {
  it.each(seeds())('seed %i', async (seed) => {
    console.log(`chaos random: seed ${seed} (replay: npm run test:chaos -- --seed ${seed} random)`);
    world = await World.create({ name: `rnd${seed % 10000}`, participants: 3, seed, processes: [2] });
    const stats = await randomRun(world, seed, longMode ? 12 : 3);
    console.log(`seed ${seed}: ${stats.sent} sent; faults ${stats.log.join(', ')}`);
    await world.settle(90_000);
    expect(await world.check({ allowFailed: false })).toEqual([]);
    expect(await world.checkAll({ allowFailed: false, freshDevice: 0 })).toEqual([]);
  });
});
