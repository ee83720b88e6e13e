/**
 * Cluster faults: three gateway nodes on one PostgreSQL and one nats-server
 * (support/chaos-cluster.ts), four participants whose cores start at
 * different nodes and fail over down their endpoint lists. Mid-burst: a node
 * SIGKILLed (restarted after), a node frozen with SIGSTOP (its clients' heartbeat
 * finds it, they move; SIGCONT after), NATS restarted, one node partitioned
 * from NATS, PostgreSQL restarted. After each, the same invariants as on one
 * node (nothing acknowledged lost, nothing doubled, order per conversation,
 * unread and previews agree), and every node still running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait';
import { startChaosCluster, type ChaosCluster } from './support/chaos-cluster';
import { chaosSeed, longMode } from './support/mode';
import { diagnoseMissing } from './support/store-diagnosis';
import { burst } from './support/traffic';
import { World } from './support/world';

const seed = chaosSeed(1507);
let cc: ChaosCluster;
let world: World;

beforeAll(async () => {
  console.log(`chaos cluster: seed ${seed}`);
  cc = await startChaosCluster({ busProxyNode: 2, seed });
  // Participant i starts at node i % 3 (participant 3 shares node 0 with participant 0).
  world = await World.create({ name: 'cluster', participants: 4, seed, servers: (i) => cc.servers(i % 3) });
}, 240_000);

afterAll(async () => {
  await world?.dispose();
  await cc?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Per scenario: the settle bound (180 s) plus the burst and the fault, on a loaded machine. */
const SCENARIO_TIMEOUT_MS = 400_000;
const rounds = longMode ? 4 : 1;
const size = longMode ? 40 : 12;

/** Records of the cores since `since` that tell of a request refused UNAVAILABLE (a send retried, a pull failed). */
function refusalsSince(since: number): number {
  return world.participants.reduce((n, p) => n + p.recent.filter((r) => Date.parse(r.slice(0, 24)) >= since && r.includes('"code":"UNAVAILABLE"')).length, 0);
}

/**
 * A burst from everyone; once some of *this* burst is acknowledged (not an
 * earlier scenario's), `fault` runs while the rest is in flight; then `heal`,
 * settle, and every invariant. `moved`: participants whose node the fault
 * takes away (they must leave it); `refused`: the fault must have refused some
 * of the cores' requests (proof that it hit the burst, not the quiet after it).
 */
async function midBurst(tag: string, fault: () => Promise<void>, heal: () => Promise<void>, options: { moved?: number[]; refused?: boolean } = {}): Promise<void> {
  const { moved = [], refused = false } = options;
  for (let r = 0; r < rounds; r++) {
    const before = world.participants.map((p) => p.shownSent.size);
    const sending = burst(world, size, `${tag}${r}`);
    await waitFor(() => world.participants.some((p, i) => p.shownSent.size > before[i]!) || undefined, `${tag}: some of the burst acknowledged`, 60_000);
    const since = Date.now();
    await fault();
    // The clients of a node that died or froze lost it and came back online through another one.
    for (const i of moved) {
      await waitFor(() => world.p(i).states.some((s) => s.at >= since && s.status.state !== 'online') || undefined, `${world.p(i).name} leaves the failed node`, 30_000);
    }
    await sending;
    await heal();
    // A world that does not settle says why, with what the nodes logged (warnings and errors).
    await world.settle(180_000).catch((err: unknown) => {
      const logs = cc.cluster.nodes.map((n) => `node ${n.index}: ${n.process?.stderr().slice(-3000) ?? '(stopped)'}`).join('\n');
      throw new Error(`${tag}: ${String(err)}\n${logs}`);
    });
    const found = [...(await world.check({ allowFailed: false })), ...cc.problems()];
    // Copies missing: say whether the store has them (and the recipients' events) or a client's sync passed them by.
    if (found.length > 0 && cc.cluster.postgres) console.log(`${tag}: the store and the cursors\n${await diagnoseMissing(world, cc.cluster.databaseUrl).catch((e: unknown) => String(e))}`);
    expect(found).toEqual([]);
    if (refused) {
      const n = refusalsSince(since);
      console.log(`${tag}${r}: ${n} requests of the cores refused UNAVAILABLE during the fault`);
      expect(n, `${tag}: the fault refused none of the burst`).toBeGreaterThan(0);
    }
  }
}

describe('cluster faults', () => {
  it('a gateway node SIGKILLed mid-burst: its clients move to the other nodes; restarted after', async () => {
    await midBurst(
      'nodekill',
      () => cc.cluster.kill(1, 'SIGKILL'),
      async () => {
        await sleep(1000);
        await cc.cluster.restart(1);
      },
      { moved: [1] },
    );
  }, SCENARIO_TIMEOUT_MS);

  it('a gateway node frozen (SIGSTOP) mid-burst: the heartbeat finds it, its clients move; SIGCONT after', async () => {
    await midBurst(
      'nodestop',
      async () => {
        cc.cluster.nodes[0]!.process!.child.kill('SIGSTOP');
        // Long enough for its clients' heartbeat (1 s + 2 × 1 s) to give up on it and fail over.
        await sleep(5000);
      },
      async () => {
        cc.cluster.nodes[0]!.process!.child.kill('SIGCONT');
      },
      { moved: [0, 3] },
    );
  }, SCENARIO_TIMEOUT_MS);

  it('NATS restarted mid-burst', async () => {
    await midBurst(
      'natsrestart',
      () => cc.cluster.nats.kill(),
      async () => {
        await sleep(1500);
        await cc.cluster.nats.start();
      },
    );
  }, SCENARIO_TIMEOUT_MS);

  it('one node partitioned from NATS mid-burst (its bus link blackholed), then healed', async () => {
    let healed: Promise<void> = Promise.resolve();
    await midBurst(
      'natspart',
      async () => {
        healed = cc.busProxy.blackhole(longMode ? 10_000 : 4000);
      },
      () => healed,
    );
  }, SCENARIO_TIMEOUT_MS);

  // Sends during the outage fail UNAVAILABLE and are retried; pushes of what committed just before arrive while
  // pulls fail, so recipients must retry their gap pull (docs/RELIABILITY.md, "holes after a PostgreSQL restart").
  it('PostgreSQL restarted mid-burst (fast shutdown)', async () => {
    await midBurst(
      'pgrestart',
      () => cc.cluster.postgres!.stop({ mode: 'fast' }),
      async () => {
        await sleep(1500);
        await cc.cluster.postgres!.start();
      },
      { refused: true },
    );
    expect(await world.checkAll({ allowFailed: false, freshDevice: 1 })).toEqual([]);
  }, SCENARIO_TIMEOUT_MS);

  // A crash: no shutdown checkpoint, recovery on start; COMMITs cut off in flight leave their outcome unknown to
  // the node (the resend re-pushes, see RELIABILITY.md), and every node must survive its connections dying.
  it('PostgreSQL crashed (immediate stop) mid-burst', async () => {
    await midBurst(
      'pgcrash',
      () => cc.cluster.postgres!.stop({ mode: 'immediate' }),
      async () => {
        await sleep(1500);
        await cc.cluster.postgres!.start();
      },
      { refused: true },
    );
  }, SCENARIO_TIMEOUT_MS);
});
