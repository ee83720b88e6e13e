/**
 * The soak: `npm run test:chaos -- --soak MINUTES [--clients N] [--seed S] [--out FILE]`.
 * N clients (default 50; two of them killable core processes) in circles of
 * five (friends, one group per circle) chat through their fault proxies for
 * MINUTES while random faults hit them and the server; then everything
 * settles and the invariants are checked. Prints messages sent, delivered,
 * duplicates (must be 0), lost (must be 0), reconnects, server and client
 * memory at start and end, and the load average meanwhile; exits 1 if an
 * invariant failed or the world did not settle.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Rng } from '../shared/support/fuzz';
import { allMessages } from './support/invariants';
import { faultKinds, randomFault, randomSends, type FaultKind } from './support/random-run';
import { World } from './support/world';

const { values } = parseArgs({ options: { minutes: { type: 'string' }, clients: { type: 'string', default: '50' }, seed: { type: 'string' }, out: { type: 'string' } } });
const minutes = Number(values.minutes);
const clients = Number(values.clients);
if (!(minutes > 0) || !(clients >= 5)) {
  console.error('usage: npm run test:chaos -- --soak MINUTES [--clients N (>= 5)] [--seed S] [--out FILE]');
  process.exit(2);
}
const seed = Number(values.seed ?? process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1e9));
const mib = (kib: number) => Math.round(kib / 1024);
const round1 = (n: number) => Math.round(n * 10) / 10;
const selfRssKiB = () => Math.round(process.memoryUsage().rss / 1024);

console.log(`soak: ${clients} clients, ${minutes} min, seed ${seed} (replay: npm run test:chaos -- --soak ${minutes} --clients ${clients} --seed ${seed})`);
const world = await World.create({ name: 'soak', participants: clients, seed, circle: 5, processes: [0, 5] });
const rng = new Rng(seed);
/** The cores in child processes (killable), each its own process. */
const coreProcesses = world.participants.filter((p) => p.options.process);
const coreProcessesRssMiB = () => coreProcesses.map((p) => mib(p.rssKiB()));
const start = { serverRssMiB: mib(world.server.rssKiB()), clientsRssMiB: mib(selfRssKiB()), coreProcessesRssMiB: coreProcessesRssMiB() };
/** The 1-minute load average, sampled every 30 s while the soak runs (the machine may be shared). */
const loads: number[] = [];
const loadSampler = setInterval(() => loads.push(loadavg()[0]!), 30_000);
const faults = Object.fromEntries(faultKinds.map((k) => [k, 0])) as Record<FaultKind, number>;
let sent = 0;
const deadline = Date.now() + minutes * 60_000;
let lastReport = Date.now();
/** The last faults (time, kind, whom, how long), to explain a participant that does not come back. */
const recentFaults: string[] = [];
const noteFault = (line: string) => {
  recentFaults.push(line);
  if (recentFaults.length > 30) recentFaults.shift();
};
/** Participant errors (a crash, a session the server ended) are printed when they happen, with the faults before them. */
const errorsSeen = new Map<string, number>();
const reportNewErrors = () => {
  for (const p of world.participants) {
    const seen = errorsSeen.get(p.name) ?? 0;
    if (p.errors.length === seen) continue;
    errorsSeen.set(p.name, p.errors.length);
    console.error(`soak: ${p.errors.slice(seen, seen + 5).join(' | ')}\n  faults before it:\n    ${recentFaults.slice(-8).join('\n    ')}`);
  }
};
try {
  while (Date.now() < deadline) {
    const sending = randomSends(world, rng, 5 + rng.int(40), `soak${seed}`);
    // Faults on about half the rounds; the rest is plain chatting.
    if (rng.next() < 0.5) faults[await randomFault(world, rng, faultKinds, noteFault)]++;
    else await new Promise((r) => setTimeout(r, 500 + rng.int(1500)));
    sent += await sending;
    reportNewErrors();
    if (Date.now() - lastReport > 60_000) {
      lastReport = Date.now();
      console.log(
        `soak: ${Math.round((deadline - Date.now()) / 60_000)} min left, ${sent} sent, server ${mib(world.server.rssKiB())} MiB, clients ${mib(selfRssKiB())} MiB + ${coreProcessesRssMiB().join(' + ')} MiB, load ${round1(loadavg()[0]!)}`,
      );
    }
  }
  console.log('soak: faults over; settling');
  // A world that does not settle still gets its tally (what is missing shows as lost), with who was stuck and how.
  const settleError = await world.settle(300_000).then(
    () => undefined,
    (err: unknown) => String(err),
  );
  reportNewErrors();
  if (settleError) {
    console.error(`soak: did not settle: ${settleError}`);
    for (const p of world.participants) {
      if (await p.online().catch(() => false)) continue;
      const now = await p.core.getConnectionStatus({}).catch((err: unknown) => String(err));
      console.error(`  ${p.name} not online (now ${JSON.stringify(now)}); its last connection states: ${JSON.stringify(p.states.slice(-8))}; errors: ${p.errors.slice(-5).join(' | ') || 'none'}`);
    }
    console.error(`  the last faults:\n    ${recentFaults.join('\n    ')}`);
  }
  const end = { serverRssMiB: mib(world.server.rssKiB()), clientsRssMiB: mib(selfRssKiB()), coreProcessesRssMiB: coreProcessesRssMiB() };
  clearInterval(loadSampler);

  // Tally: every message its sender saw acknowledged, at every recipient.
  let expected = 0;
  let delivered = 0;
  let duplicates = 0;
  let lost = 0;
  const caches = new Map<string, Awaited<ReturnType<typeof allMessages>>>();
  const messagesOf = async (i: number, key: `u:${number}` | `g:${number}`) => {
    const id = `${i}/${key}`;
    if (!caches.has(id)) caches.set(id, await allMessages(world.p(i), key));
    return caches.get(id)!;
  };
  for (let s = 0; s < world.participants.length; s++) {
    const sender = world.p(s);
    for (const r of sender.sent) {
      if (!sender.shownSent.has(r.id)) continue;
      const recipients = r.key.startsWith('g:')
        ? (world.groups.get(Number(r.key.slice(2))) ?? []).filter((m) => m !== sender).map((m) => ({ i: world.participants.indexOf(m), key: r.key }))
        : [{ i: world.participants.findIndex((p) => `u:${p.userId}` === r.key), key: `u:${sender.userId}` as const }];
      for (const { i, key } of recipients) {
        expected++;
        const copies = (await messagesOf(i, key)).filter((m) => m.senderId === sender.userId && m.text === r.text).length;
        if (copies === 0) lost++;
        else delivered++;
        if (copies > 1) duplicates += copies - 1;
      }
    }
  }
  const failedAtEnd = world.participants.reduce((n, p) => n + p.sent.filter((r) => !p.shownSent.has(r.id)).length, 0);
  // A reconnect: "online" again after the first time.
  const reconnects = world.participants.reduce((n, p) => n + Math.max(0, p.states.filter((s) => s.status.state === 'online').length - 1), 0);
  const problems = await world.check({ allowFailed: false, maxServerRssMiB: 1024 });
  const summary = {
    seed,
    clients,
    minutes,
    sent,
    acknowledged: sent - failedAtEnd,
    deliveriesExpected: expected,
    delivered,
    duplicates,
    lost,
    reconnects,
    faults,
    serverRssMiB: { start: start.serverRssMiB, end: end.serverRssMiB },
    clientsRssMiB: { start: start.clientsRssMiB, end: end.clientsRssMiB, note: `the ${clients - coreProcesses.length} in-process cores, their proxies and the harness: one process` },
    coreProcessesRssMiB: { start: start.coreProcessesRssMiB, end: end.coreProcessesRssMiB, note: `${coreProcesses.map((p) => p.name).join(', ')}: a process each, restarted by clientKill` },
    loadAverage1m: loads.length > 0 ? { mean: round1(loads.reduce((a, b) => a + b, 0) / loads.length), max: round1(Math.max(...loads)), samples: loads.length } : undefined,
    serverRestarts: world.server.starts - 1,
    invariantViolations: problems.length,
    settled: settleError === undefined,
  };
  console.log(JSON.stringify(summary, null, 2));
  if (values.out) writeFileSync(values.out, JSON.stringify(summary, null, 2) + '\n');
  if (settleError) process.exitCode = 1;
  if (problems.length > 0) {
    console.error(`soak: ${problems.length} invariant violations:\n${problems.slice(0, 50).join('\n')}`);
    process.exitCode = 1;
  }
} finally {
  clearInterval(loadSampler);
  await world.dispose();
}
