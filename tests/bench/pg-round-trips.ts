/**
 * PostgreSQL round trips per unit of work: `npm run bench -- pg-round-trips`.
 *
 * A server on a private PostgreSQL, in this process, with every statement
 * the `pg` driver sends counted: statements, and round trips (a statement
 * issued while another is still in flight on a pipelining connection rides
 * with it; on a connection that does not pipeline each one is a round trip).
 * Counted once the work and what it sets off (push acks, delivered
 * receipts, presence) has settled:
 *
 * - a 1:1 send one at a time, and 50 sent at once to one conversation, each
 *   with the receiver's push ack and the delivered receipt it makes;
 * - a token login (an account coming online, no friends: what each
 *   connection of the cluster benchmark does), a token login then logout of
 *   an account without friends, and of one with 20 friends (each friend's
 *   presence settings are checked both ways).
 *
 * The counts do not depend on the machine's load (only which acks coalesce
 * may vary a little); they are what the CPU per message of the cluster
 * benchmark follows.
 */
import pg from 'pg';
import pino from 'pino';
import { Command } from '../../shared/protocol';
import { startServer } from '../../server';
import { startPostgres } from '../support/postgres';
import { TestClient } from '../server/helpers/client';
import { removeDir, tempDir } from '../server/helpers/server';
import { befriend, direct, sendText } from '../server/helpers/social';

interface Counts {
  statements: number;
  roundTrips: number;
  byStatement: Map<string, number>;
}

/** Wraps pg's Client.query to count what goes to the database. */
function instrument(): Counts {
  const counts: Counts = { statements: 0, roundTrips: 0, byStatement: new Map() };
  const inFlight = new WeakMap<object, number>();
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown; pipeline?: boolean };
  const query = proto.query;
  proto.query = function (this: { pipeline?: boolean }, ...args: unknown[]) {
    const q = args[0] as { name?: string; text?: string } | string;
    const key = typeof q === 'string' ? q.split(/\s+/).slice(0, 3).join(' ') : (q.name ?? q.text?.split(/\s+/).slice(0, 3).join(' ') ?? '?');
    counts.statements++;
    counts.byStatement.set(key, (counts.byStatement.get(key) ?? 0) + 1);
    const busy = inFlight.get(this) ?? 0;
    if (busy === 0 || !this.pipeline) counts.roundTrips++;
    inFlight.set(this, busy + 1);
    const done = () => inFlight.set(this, (inFlight.get(this) ?? 1) - 1);
    const result = query.apply(this, args) as Promise<unknown> | undefined;
    if (result && typeof result.then === 'function') result.then(done, done);
    else done();
    return result;
  };
  return counts;
}

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<Record<string, unknown>> {
  const counts = instrument();
  const postgres = await startPostgres({ fsync: false });
  const dataDir = tempDir('tern-bench-pgrt-');
  const db = await postgres.createDatabase('roundtrips');
  const server = await startServer(
    { port: 0, host: '127.0.0.1', dataDir, store: db.url, scrypt: { N: 1024, r: 8, p: 1 }, logLevel: 'silent', registrationsPerAddress: 10_000, sendBurst: 1_000_000, sendPerMinute: 60_000_000 },
    { logger: pino({ level: 'silent' }) },
  );
  const endpoint = { host: server.host, port: server.port, publicKey: server.publicKey };
  const results: Record<string, unknown> = {};
  const measure = async (name: string, units: number, work: () => Promise<unknown>) => {
    await settle();
    counts.statements = 0;
    counts.roundTrips = 0;
    counts.byStatement.clear();
    await work();
    await settle(600);
    const per = (n: number) => Math.round((n / units) * 100) / 100;
    results[name] = {
      units,
      statementsPerUnit: per(counts.statements),
      roundTripsPerUnit: per(counts.roundTrips),
      statements: Object.fromEntries([...counts.byStatement].map(([k, v]) => [k, per(v)])),
    };
    console.log(`${name}: ${per(counts.roundTrips)} round trips, ${per(counts.statements)} statements per unit`);
  };
  try {
    const alice = await TestClient.connect(endpoint);
    await alice.register('alice');
    const bob = await TestClient.connect(endpoint);
    await bob.register('bob');
    await befriend(alice, bob);
    await sendText(alice, direct(bob), 'warm-up');
    await measure('send1to1OneAtATime', 50, async () => {
      for (let i = 0; i < 50; i++) await sendText(alice, direct(bob), `one ${i}`);
    });
    await measure('send1to1FiftyInFlight', 50, () => Promise.all(Array.from({ length: 50 }, (_, i) => sendText(alice, direct(bob), `many ${i}`))));
    await alice.close();
    await bob.close();

    // Token logins: devices signed in with a password first, each then logs in with its token on a new connection.
    const devices: Array<{ id: string; token: string }> = [];
    const carol = await TestClient.connect(endpoint);
    await carol.register('carol', undefined, 'carol-0');
    devices.push({ id: 'carol-0', token: carol.login!.deviceToken });
    await carol.close();
    for (let i = 1; i < 10; i++) {
      const c = await TestClient.connect(endpoint);
      devices.push({ id: `carol-${i}`, token: (await c.loginPassword('carol', undefined, `carol-${i}`)).deviceToken });
      await c.close();
    }
    const tokenLogin = (c: TestClient, username: string, d: { id: string; token: string }) =>
      c.call(Command.LOGIN, { username, credential: { case: 'deviceToken', value: d.token }, device: { deviceId: d.id, deviceName: d.id } });
    // What an idle connection's login is (the cluster benchmark's connections phase): ten accounts, each coming online.
    const accounts: Array<{ name: string; device: { id: string; token: string } }> = [];
    for (let i = 0; i < 10; i++) {
      const c = await TestClient.connect(endpoint);
      await c.register(`dave${i}`, undefined, `dave${i}-0`);
      accounts.push({ name: `dave${i}`, device: { id: `dave${i}-0`, token: c.login!.deviceToken } });
      await c.close();
    }
    const held = await Promise.all(accounts.map(() => TestClient.connect(endpoint)));
    await measure('tokenLogin', 10, async () => {
      for (const [i, c] of held.entries()) await tokenLogin(c, accounts[i]!.name, accounts[i]!.device);
    });
    await Promise.all(held.map((c) => c.close()));
    const first = await Promise.all(devices.map(() => TestClient.connect(endpoint)));
    await measure('tokenLoginAndLogoutNoFriends', 10, async () => {
      // One device at a time, the previous one gone: each login is the account coming online.
      for (const [i, c] of first.entries()) {
        await tokenLogin(c, 'carol', devices[i]!);
        await settle(50);
        await c.close();
        await settle(150);
      }
    });
    // The same with 20 friends, login and logout (each is a presence change told to the friends).
    const host = await TestClient.connect(endpoint);
    await host.loginPassword('carol', undefined, 'carol-host');
    for (let i = 0; i < 20; i++) {
      const f = await TestClient.connect(endpoint);
      await f.register(`friend${i}`);
      await befriend(host, f);
      await f.close();
    }
    await host.close();
    const second = await Promise.all(devices.map(() => TestClient.connect(endpoint)));
    await measure('tokenLoginAndLogout20Friends', 10, async () => {
      for (const [i, c] of second.entries()) {
        await tokenLogin(c, 'carol', devices[i]!);
        await settle(50);
        await c.close();
        await settle(150);
      }
    });
  } finally {
    await server.close();
    await postgres.destroy();
    removeDir(dataDir);
  }
  return results;
}
