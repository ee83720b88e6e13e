/**
 * Realistic network faults on kernel TCP: the server in its own network
 * namespace behind a veth pair, clients connecting to its address directly.
 * A full partition, then healed; a bandwidth limit (tbf); loss, delay,
 * reordering and duplication (netem) where the kernel has netem. Each part
 * skips with its reason where it cannot run (not root, no namespaces, no netem).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait';
import { chaosSeed } from './support/mode';
import { netemUnavailable, netnsUnavailable, NetNs } from './support/netns';
import { burst } from './support/traffic';
import { World } from './support/world';

const noNetns = netnsUnavailable();
const noNetem = noNetns ?? netemUnavailable();
if (noNetns) console.warn(`chaos netns: skipped: ${noNetns}`);
else if (noNetem) console.warn(`chaos netns: the netem scenario is skipped: ${noNetem}`);

const seed = chaosSeed(1505);
let world: World;
let ns: NetNs;

beforeAll(async () => {
  if (noNetns) return;
  console.log(`chaos netns: seed ${seed}`);
  ns = NetNs.create();
  world = await World.create({ name: 'netns', participants: 3, seed, direct: true, server: { host: ns.nsAddress, wrap: ns.wrap } });
  world.onDispose(() => ns.dispose());
});

afterAll(async () => {
  await world?.dispose();
});

describe.skipIf(noNetns !== undefined)('server in a network namespace', () => {
  it('a full partition: every client finds it by heartbeat; after healing, everything sent meanwhile arrives once', async () => {
    const since = Date.now();
    ns.partition();
    try {
      await burst(world, 4, 'partition');
      for (let i = 0; i < 3; i++) {
        const offline = await waitFor(() => world.p(i).states.find((s) => s.at >= since && s.status.state === 'offline'), `${world.p(i).name} finds the partition`, 20_000);
        expect(offline.status.lastError?.code).toBe('TIMEOUT');
      }
    } finally {
      ns.heal();
    }
    await world.settle();
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });

  it('a bandwidth limit on the link (tbf 256 kbit/s)', async () => {
    ns.qdisc(['tbf', 'rate', '256kbit', 'burst', '16kb', 'latency', '200ms']);
    try {
      await burst(world, 10, 'narrow');
      await world.settle();
    } finally {
      ns.clearQdisc();
    }
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });

  it.skipIf(noNetem !== undefined)('loss, delay with jitter, reordering and duplication (netem)', async () => {
    ns.qdisc(['netem', 'delay', '40ms', '20ms', 'loss', '3%', 'reorder', '10%', 'duplicate', '2%']);
    try {
      await burst(world, 10, 'netem');
      await world.settle(120_000);
    } finally {
      ns.clearQdisc();
    }
    expect(await world.check({ allowFailed: false })).toEqual([]);
    expect(await world.checkAll({ allowFailed: false, freshDevice: 1 })).toEqual([]);
  });
});
