/**
 * The seeded random scenario: random sends from random participants to random
 * conversations, interleaved with random faults from the suite's list. Every
 * choice comes from the seed, so a failing seed replays the same scenario
 * (`npm run test:chaos -- --seed S`; timing on a loaded machine may still
 * differ, which is why the invariants, not a script of exact events, decide).
 */
import { Rng } from '../../shared/support/fuzz';
import { messageText } from './traffic';
import type { World } from './world';

export const faultKinds = ['shape', 'reset', 'halfOpen', 'blackhole', 'serverKill', 'serverStop', 'clientKill'] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface RunStats {
  sent: number;
  faults: Record<FaultKind, number>;
  log: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Random sends: `count` messages from random senders into random conversations of theirs. Returns how many the cores accepted. */
export async function randomSends(world: World, rng: Rng, count: number, tag: string): Promise<number> {
  const n = world.participants.length;
  const sends: Promise<number>[] = [];
  for (let k = 0; k < count; k++) {
    const i = rng.int(n);
    const groups = world.groupsOf(i);
    const key = groups.length > 0 && rng.next() < 0.3 ? rng.pick(groups) : world.direct(i, rng.pick(world.peersOf(i)));
    // A clientKill fault running meanwhile cuts the calls in flight to that core (recorded in its `cut`).
    sends.push(
      world
        .p(i)
        .send(key, messageText(tag, rng))
        .then(
          () => 1,
          (err: { code?: string }) => {
            if (err.code === 'SHELL_DISCONNECTED') return 0;
            throw err;
          },
        ),
    );
  }
  return (await Promise.all(sends)).reduce((a, b) => a + b, 0);
}

/**
 * One random fault, held for a random while, then healed. Returns its kind; `note` (if given) hears what was hit,
 * when it started and how long it took (the soak keeps the last few to explain a participant that did not come back).
 */
export async function randomFault(world: World, rng: Rng, allowed: readonly FaultKind[] = faultKinds, note?: (line: string) => void): Promise<FaultKind> {
  const usable = allowed.filter((k) => k !== 'clientKill' || world.participants.some((p) => p.options.process));
  const kind = rng.pick(usable);
  const p = world.p(rng.int(world.participants.length));
  const started = Date.now();
  let target = kind.startsWith('server') ? 'server' : p.name;
  switch (kind) {
    case 'shape':
      p.proxy?.shape({ latencyMs: rng.int(150), jitterMs: rng.int(150), bytesPerSec: rng.next() < 0.5 ? 0 : 8_000 + rng.int(100_000) });
      await sleep(500 + rng.int(1500));
      p.proxy?.shape({});
      break;
    case 'reset':
      p.proxy?.resetMidFrame();
      await sleep(200 + rng.int(800));
      break;
    case 'halfOpen':
      p.proxy?.halfOpen();
      await sleep(500 + rng.int(3000));
      break;
    case 'blackhole':
      await p.proxy?.blackhole(500 + rng.int(4500));
      break;
    case 'serverKill':
      await world.server.kill();
      await sleep(rng.int(1500));
      await world.restartServer();
      break;
    case 'serverStop':
      world.server.signal('SIGSTOP');
      await sleep(500 + rng.int(4000));
      world.server.signal('SIGCONT');
      break;
    case 'clientKill': {
      const victim = rng.pick(world.participants.filter((x) => x.options.process));
      target = victim.name;
      await victim.kill();
      await sleep(rng.int(1000));
      await victim.restart();
      break;
    }
  }
  note?.(`${new Date(started).toISOString()} ${kind} ${target} (${Date.now() - started} ms)`);
  return kind;
}

/** `steps` rounds of: random sends while a random fault happens. Ends with the faults healed (not settled). */
export async function randomRun(world: World, seed: number, steps: number, allowed: readonly FaultKind[] = faultKinds): Promise<RunStats> {
  const rng = new Rng(seed);
  const stats: RunStats = { sent: 0, faults: Object.fromEntries(faultKinds.map((k) => [k, 0])) as Record<FaultKind, number>, log: [] };
  for (let step = 0; step < steps; step++) {
    const sending = randomSends(world, rng, 1 + rng.int(8), `s${seed}.${step}`);
    const kind = await randomFault(world, rng, allowed);
    stats.sent += await sending;
    stats.faults[kind]++;
    stats.log.push(kind);
  }
  return stats;
}
