// Logins of one device on one node: the newest connection is the one its client uses, so it must be the one that
// stays, whichever login finishes first. (The chaos soak found a client signed out by its own device: a login it had
// abandoned on a connection the server still held finished together with, or after, the login on its new connection.)
import { fromBinary } from '@bufbuild/protobuf';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Command, Kicked_Reason, KickedSchema } from '../../shared/protocol';
import { InProcessHub, type Bus } from '../../server/cluster/bus';
import { LocalDirectory } from '../../server/cluster/directory';
import { Metrics } from '../../server/metrics';
import { SessionRegistry } from '../../server/net/registry';
import { Session } from '../../server/net/session';
import { MemoryConnection } from './helpers/memory-connection';

let bus: Bus;
let directory: LocalDirectory;
let registry: SessionRegistry;
let nextId = 1;

function node(): void {
  bus = new InProcessHub().connect('solo');
  directory = new LocalDirectory();
  registry = new SessionRegistry({ metrics: new Metrics(), bus, directory, logger: pino({ level: 'silent' }) }, { onPresence: () => {}, resync: () => Promise.resolve() });
}

/** A connection accepted now (session ids grow with each accepted connection, as in the server). */
function connection(): { session: Session; conn: MemoryConnection } {
  const conn = new MemoryConnection();
  const session = new Session(nextId++, conn, 0);
  registry.add(session);
  return { session, conn };
}

const kicked = (c: { conn: MemoryConnection }) => c.conn.sent.filter((f) => f.command === Command.KICKED).map((f) => fromBinary(KickedSchema, f.payload));

afterEach(async () => {
  registry.dispose();
  await bus.close();
});

describe('logins of one device on one node', () => {
  it('a newer login ends the older session of the device (and only that device)', async () => {
    node();
    const old = connection();
    const laptop = connection();
    await registry.bind(old.session, 1, 'phone', 'Phone', false);
    await registry.bind(laptop.session, 1, 'laptop', 'Laptop', false);
    const fresh = connection();
    await registry.bind(fresh.session, 1, 'phone', 'Phone', false);
    expect(kicked(old)).toMatchObject([{ reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'Phone' }]);
    expect(old.conn.closed).toBe(true);
    expect(fresh.conn.closed).toBe(false);
    expect(laptop.conn.closed).toBe(false);
    expect(fresh.session.authenticated).toBe(true);
  });

  it.each([
    ['the older connection', false],
    ['the newer connection', true],
  ])('two logins of the device binding at once (%s first): the newer connection stays, the older one is ended', async (_, newerFirst) => {
    node();
    const abandoned = connection();
    const current = connection();
    // Both logins' store work finished in the same turn (the store answers in batches): both binds are under way.
    const binds = [abandoned, current].map((c) => () => registry.bind(c.session, 1, 'phone', 'Phone', false));
    await Promise.all((newerFirst ? binds.reverse() : binds).map((bind) => bind()));
    expect(kicked(current)).toEqual([]);
    expect(current.conn.closed).toBe(false);
    expect(current.session.authenticated).toBe(true);
    expect(kicked(abandoned)).toHaveLength(1);
    expect(abandoned.conn.closed).toBe(true);
    expect(abandoned.session.authenticated).toBe(false);
    expect(registry.sessionsOf(1)).toEqual(new Set([current.session]));
    expect(await directory.onlineDevices(1)).toEqual(new Set(['phone']));
  });

  it('a stale login finishing after the newer connection logged in is ended, and the newer connection stays', async () => {
    node();
    const abandoned = connection();
    const current = connection();
    await registry.bind(current.session, 1, 'phone', 'Phone', false);
    await registry.bind(abandoned.session, 1, 'phone', 'Phone', false);
    expect(kicked(current)).toEqual([]);
    expect(current.conn.closed).toBe(false);
    expect(current.session.authenticated).toBe(true);
    expect(kicked(abandoned)).toMatchObject([{ reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'Phone' }]);
    expect(abandoned.conn.closed).toBe(true);
    expect(abandoned.session.authenticated).toBe(false);
    expect(await directory.onlineDevices(1)).toEqual(new Set(['phone']));
  });
});
