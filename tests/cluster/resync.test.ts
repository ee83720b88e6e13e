// A server on a NATS bus whose nats-server restarts: once reconnected it offers each logged-in client its newest
// stored event again (so a client that missed a push sees the gap and pulls) and its friends' presence.
import { fromBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command, PresenceSchema, SyncEventSchema } from '../../shared/protocol';
import { startNats, type NatsServer } from '../support/nats';
import { startPostgres, type PostgresInstance } from '../support/postgres';
import type { TestClient } from '../server/helpers/client';
import { removeDir, startTestServer, type TestServer } from '../server/helpers/server';
import { befriend, direct, sendText } from '../server/helpers/social';
import { until } from './helpers/wait';

describe('resync after a bus outage', () => {
  let nats: NatsServer;
  let postgres: PostgresInstance;
  let server: TestServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    nats = await startNats();
    postgres = await startPostgres({ fsync: false });
    // A bus needs a store every node shares.
    server = await startTestServer({ bus: nats.url, store: (await postgres.createDatabase('resync')).url });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    if (server) removeDir(server.dataDir);
    await nats?.dispose();
    await postgres?.destroy();
  });

  it('re-offers the newest event and the friends presence to every logged-in client', async () => {
    const alice = await server.user('alice');
    const bob = await server.user('bob');
    clients.push(alice, bob);
    await befriend(alice, bob);
    const ack = await sendText(alice, direct(bob), 'hello 你好');
    await bob.waitEvent('message', (m) => m.msgId === ack.msgId);
    const pushesBefore = bob.events().length;
    const presenceBefore = bob.pushes.filter((p) => p.command === Command.PRESENCE_PUSH).length;

    expect(await server.metrics.value('tern_bus_connected')).toBe(1);
    await nats.kill();
    await until(async () => (await server.metrics.value('tern_bus_connected')) === 0, 20_000, 'the bus to be seen down');
    await nats.start();

    await until(() => bob.events().length > pushesBefore, 20_000, 'the re-offered event');
    const again = bob.events().slice(pushesBefore);
    expect(again).toHaveLength(1);
    const last = again[0]!;
    expect(last.event.case).toBe('message');
    // The newest event of bob's log is the message (seq = his head), offered again as it is stored.
    const head = await bob.call(Command.SYNC, { cursor: 0n, limit: 1000, domains: [] });
    expect(last.seq).toBe(head.head);
    await until(() => bob.pushes.filter((p) => p.command === Command.PRESENCE_PUSH).length > presenceBefore, 5000, 'presence');
    const presence = bob.pushes.filter((p) => p.command === Command.PRESENCE_PUSH).slice(presenceBefore).map((p) => fromBinary(PresenceSchema, p.payload));
    expect(presence).toContainEqual(expect.objectContaining({ userId: BigInt(alice.userId), online: true }));
    expect(fromBinary(SyncEventSchema, bob.pushes.filter((p) => p.command === Command.PUSH).at(-1)!.payload).seq).toBe(head.head);
    expect(await server.metrics.value('tern_bus_connected')).toBe(1);
    expect(await server.metrics.value('tern_bus_resyncs_total')).toBeGreaterThanOrEqual(1);
  });
});
