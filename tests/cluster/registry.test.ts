// Cross-node routing in the session registry: three nodes (registries with in-memory connections) joined by a bus,
// once by the in-process hub and once by a real nats-server, sharing one session directory. Pushes, typing, presence
// and kicks reach the user's sessions on every node exactly once; presence follows the first and last device in the
// cluster; a node that lost bus messages makes every node resync; a kick that never arrived is caught from the directory.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Command, Kicked_Reason, KickedSchema, PresenceSchema, SyncEventSchema, TypingNoticeSchema, type Frame } from '../../shared/protocol';
import { InProcessHub, type Bus } from '../../server/cluster/bus';
import { LocalDirectory, type SessionDirectory } from '../../server/cluster/directory';
import { encodeMessage, Kind } from '../../server/cluster/envelope';
import { NatsBus } from '../../server/cluster/nats-bus';
import { Metrics } from '../../server/metrics';
import { SessionRegistry } from '../../server/net/registry';
import { Session } from '../../server/net/session';
import type { PendingPush } from '../../server/services/notifier';
import { startNats, type NatsServer } from '../support/nats';
import { MemoryConnection } from '../server/helpers/memory-connection';
import { until } from './helpers/wait';

const logger = pino({ level: process.env.TERN_TEST_LOG ?? 'silent' });

interface Node {
  name: string;
  bus: Bus;
  registry: SessionRegistry;
  /** onPresence calls, in order. */
  presence: number[];
  /** resync calls: the users asked for. */
  resyncs: number[][];
  /** User ids of every bus message this node received. */
  received: number[];
}

interface Login {
  session: Session;
  conn: MemoryConnection;
}

let nextSessionId = 1;

function makeNode(name: string, bus: Bus, directory: SessionDirectory): Node {
  const presence: number[] = [];
  const resyncs: number[][] = [];
  const registry = new SessionRegistry(
    { metrics: new Metrics(), bus, directory, logger },
    {
      onPresence: (userId) => void presence.push(userId),
      resync: (userIds) => (resyncs.push([...userIds]), Promise.resolve()),
    },
  );
  const node: Node = { name, bus, registry, presence, resyncs, received: [] };
  const deliver = bus.onUserMessage;
  bus.onUserMessage = (userId, data) => {
    node.received.push(userId);
    deliver(userId, data);
  };
  return node;
}

/** A connection accepted and logged in; `attemptAt` is the client's time of the login attempt (0: not told). */
async function login(node: Node, userId: number, deviceId: string, kickOthers = false, attemptAt = 0): Promise<Login> {
  const l = accept(node);
  await node.registry.bind(l.session, userId, deviceId, `${deviceId}-name`, kickOthers, attemptAt);
  return l;
}

function accept(node: Node): Login {
  const conn = new MemoryConnection();
  const session = new Session(nextSessionId++, conn, 0);
  node.registry.add(session);
  return { session, conn };
}

const framesOf = (l: Login, command: Command) => l.conn.sent.filter((f: Frame) => f.command === command);
/** A push of an encoded SyncEvent, as operations hand them over. */
const push = (userId: number, seq: number, skipSession?: number): PendingPush => ({
  userId,
  seq,
  skipSession,
  payload: toBinary(SyncEventSchema, create(SyncEventSchema, { seq: BigInt(seq), domain: 1, event: { case: 'profile', value: { userId: BigInt(userId), nickname: `n${seq}` } } })),
});
const settle = () => new Promise((r) => setTimeout(r, 150));

/** Three buses that reach each other. */
type Transport = { name: string; connect(): Promise<Bus[]> };

let nats: NatsServer | undefined;
const transports: Transport[] = [
  {
    name: 'in-process hub',
    async connect() {
      const hub = new InProcessHub();
      return ['a', 'b', 'c'].map((id) => hub.connect(id));
    },
  },
  {
    name: 'NATS',
    async connect() {
      nats ??= await startNats();
      return Promise.all(['a', 'b', 'c'].map((nodeId) => NatsBus.connect({ url: nats!.url, nodeId, logger })));
    },
  },
];

afterAll(async () => {
  await nats?.dispose();
});

describe.each(transports)('three nodes over the $name', (transport) => {
  let a: Node, b: Node, c: Node;
  let directory: LocalDirectory;

  const fresh = async () => {
    directory = new LocalDirectory();
    const [ba, bb, bc] = await transport.connect();
    a = makeNode('a', ba!, directory);
    b = makeNode('b', bb!, directory);
    c = makeNode('c', bc!, directory);
  };

  afterEach(async () => {
    for (const n of [a, b, c]) {
      n?.registry.dispose();
      await n?.bus.close();
    }
  });

  it('delivers a push to the sessions of the user on every node, once each, and skips the sending session', async () => {
    await fresh();
    const a1 = await login(a, 1, 'phone');
    const a2 = await login(a, 1, 'laptop');
    const b1 = await login(b, 1, 'tablet');
    const c2 = await login(c, 2, 'phone');
    await settle();
    for (const n of [a, b, c]) n.received.length = 0; // the logins' kick notices
    a.registry.pushEvents([push(1, 7, a1.session.id), push(2, 3)]);
    await until(() => framesOf(b1, Command.PUSH).length === 1 && framesOf(c2, Command.PUSH).length === 1);
    await settle();
    expect(framesOf(a1, Command.PUSH)).toHaveLength(0);
    expect(framesOf(a2, Command.PUSH)).toHaveLength(1);
    expect(framesOf(b1, Command.PUSH)).toHaveLength(1);
    expect(framesOf(c2, Command.PUSH)).toHaveLength(1);
    expect(fromBinary(SyncEventSchema, framesOf(b1, Command.PUSH)[0]!.payload).seq).toBe(7n);
    expect(fromBinary(SyncEventSchema, framesOf(c2, Command.PUSH)[0]!.payload).seq).toBe(3n);
    // Nothing came back to the publishing node, and node c only heard about its own user.
    expect(a.received).toEqual([]);
    expect(c.received).toEqual([2]);
  });

  it('carries typing and presence to other nodes', async () => {
    await fresh();
    const b1 = await login(b, 1, 'phone');
    const c1 = await login(c, 1, 'laptop');
    a.registry.typing([1], create(TypingNoticeSchema, { userId: 9n, typing: true }));
    a.registry.presence([1], create(PresenceSchema, { userId: 9n, online: true, lastSeen: 5n }));
    await until(() => [b1, c1].every((l) => framesOf(l, Command.TYPING_PUSH).length === 1 && framesOf(l, Command.PRESENCE_PUSH).length === 1));
    expect(fromBinary(TypingNoticeSchema, framesOf(c1, Command.TYPING_PUSH)[0]!.payload)).toMatchObject({ userId: 9n, typing: true });
    expect(fromBinary(PresenceSchema, framesOf(b1, Command.PRESENCE_PUSH)[0]!.payload)).toMatchObject({ userId: 9n, online: true });
  });

  it('a login of the same device on another node kicks the old session there; kick_other_sessions kicks every other', async () => {
    await fresh();
    const old = await login(a, 1, 'phone');
    const other = await login(b, 1, 'laptop');
    const again = await login(c, 1, 'phone');
    await until(() => old.conn.closed);
    const kicked = fromBinary(KickedSchema, framesOf(old, Command.KICKED)[0]!.payload);
    expect(kicked).toMatchObject({ reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'phone-name' });
    expect(old.session.authenticated).toBe(false);
    await settle();
    expect(other.conn.closed).toBe(false);
    expect(again.conn.closed).toBe(false);
    const boss = await login(a, 1, 'desktop', true);
    await until(() => other.conn.closed && again.conn.closed);
    expect(boss.conn.closed).toBe(false);
    expect(await directory.onlineAmong([1])).toEqual(new Set([1]));
  });

  // A client gives up on a login (a slow node, a half-open link) and logs in again, reaching another node: whichever
  // login finishes last, and whenever the abandoned one's bus kick arrives, the later attempt's session stays.
  it('a login its client abandoned that finishes after the newer login on another node is ended, and the newer session stays', async () => {
    await fresh();
    const current = await login(b, 1, 'phone', false, 2_000);
    const abandoned = await login(a, 1, 'phone', false, 1_000);
    await settle();
    expect(framesOf(abandoned, Command.KICKED).map((f) => fromBinary(KickedSchema, f.payload))).toMatchObject([{ reason: Kicked_Reason.OTHER_LOGIN }]);
    expect(abandoned.conn.closed).toBe(true);
    expect(abandoned.session.authenticated).toBe(false);
    expect(framesOf(current, Command.KICKED)).toEqual([]);
    expect(current.conn.closed).toBe(false);
    expect(await directory.onlineDevices(1)).toEqual(new Set(['phone']));
    // Nothing was queued for the newer session either: its node's next heartbeat keeps it.
    expect(await b.registry.applyQueuedKicks()).toBe(0);
    expect(current.conn.closed).toBe(false);
    expect(await directory.reconcile(b.registry.localRefs())).toEqual({ replaced: [], missing: [] });
  });

  it('a late bus kick from an abandoned login (recorded first) does not end the newer session of the device', async () => {
    await fresh();
    const abandoned = await login(a, 1, 'phone', false, 1_000);
    const current = await login(b, 1, 'phone', false, 2_000);
    await until(() => abandoned.conn.closed);
    // The abandoned login's own kick, held up on the bus until now (as when it finished binding after the newer one began).
    a.bus.publish(1, encodeMessage({ kind: Kind.KICK, kick: { reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'phone-name', deviceId: 'phone', keepNode: 'a', keepSession: abandoned.session.id, keepDevice: 'phone', keepAttemptAt: 1_000 } }));
    await until(() => b.received.length > 0);
    await settle();
    expect(framesOf(current, Command.KICKED)).toEqual([]);
    expect(current.conn.closed).toBe(false);
    expect(current.session.authenticated).toBe(true);
  });

  it.each([
    ['the abandoned login first', false],
    ['the newer login first', true],
  ])('two logins of the device binding at once on two nodes (%s): the later attempt stays', async (_, newerFirst) => {
    await fresh();
    const abandoned = accept(a);
    const current = accept(b);
    const binds = [
      () => a.registry.bind(abandoned.session, 1, 'phone', 'phone-name', false, 1_000),
      () => b.registry.bind(current.session, 1, 'phone', 'phone-name', false, 2_000),
    ];
    await Promise.all((newerFirst ? binds.reverse() : binds).map((bind) => bind()));
    await until(() => abandoned.conn.closed);
    await settle();
    expect(current.conn.closed).toBe(false);
    expect(framesOf(current, Command.KICKED)).toEqual([]);
    expect(await b.registry.applyQueuedKicks()).toBe(0);
    expect(await directory.onlineDevices(1)).toEqual(new Set(['phone']));
  });

  it('presence follows the first and the last device in the whole cluster', async () => {
    await fresh();
    const a1 = await login(a, 1, 'phone');
    expect(a.presence).toEqual([1]);
    const b1 = await login(b, 1, 'laptop');
    expect(b.presence).toEqual([]);
    a.registry.unbind(a1.session);
    await settle();
    expect(a.presence).toEqual([1]); // still online on b: no new change
    expect(await a.registry.onlineAmong([1, 2])).toEqual(new Set([1]));
    b.registry.remove(b1.session);
    await until(() => b.presence.length === 1);
    expect(await c.registry.onlineAmong([1])).toEqual(new Set());
  });

  it('stops receiving a user once its last session on the node is gone', async () => {
    await fresh();
    await login(a, 1, 'phone');
    const b1 = await login(b, 1, 'laptop');
    a.registry.pushEvents([push(1, 1)]);
    await until(() => b.received.length === 1);
    b.registry.remove(b1.session);
    await settle();
    a.registry.pushEvents([push(1, 2)]);
    await settle();
    expect(b.received).toEqual([1]);
  });

  it('after a bus disruption every node resyncs its users, ends sessions whose kick was lost and records the ones the directory lacks', async () => {
    await fresh();
    await login(a, 1, 'phone');
    const stale = await login(b, 2, 'phone');
    const other = await login(c, 3, 'laptop');
    const forgotten = await login(c, 4, 'phone');
    // Logins elsewhere whose kicks never arrived: only the directory knows.
    await directory.add({ userId: 2, deviceId: 'phone', nodeId: 'x', sessionId: 1, attemptAt: 0 }, false);
    await directory.add({ userId: 3, deviceId: 'desktop', nodeId: 'x', sessionId: 2, attemptAt: 0 }, true);
    // A record lost (as when a node is taken for dead and reaped).
    await directory.remove({ userId: 4, deviceId: 'phone', nodeId: 'c', sessionId: forgotten.session.id, attemptAt: 0 });
    expect(await directory.onlineAmong([4])).toEqual(new Set());
    a.bus.onDisruption();
    await until(() => [a, b, c].every((n) => n.resyncs.length === 1));
    expect(a.resyncs[0]).toEqual([1]);
    // Replaced sessions are ended first; the rest of the users get their resync.
    expect(b.resyncs[0]).toEqual([]);
    expect(c.resyncs[0]).toEqual([4]);
    await until(() => stale.conn.closed && other.conn.closed);
    expect(fromBinary(KickedSchema, framesOf(stale, Command.KICKED)[0]!.payload).reason).toBe(Kicked_Reason.OTHER_LOGIN);
    expect(fromBinary(KickedSchema, framesOf(other, Command.KICKED)[0]!.payload).reason).toBe(Kicked_Reason.OTHER_LOGIN);
    expect(forgotten.conn.closed).toBe(false);
    expect(await directory.onlineAmong([4])).toEqual(new Set([4]));
    expect(c.presence).toContain(4);
  });

  it('a kick the bus lost still ends the session at the next heartbeat of its node: the directory queued it', async () => {
    await fresh();
    const phone = await login(b, 1, 'phone');
    const laptop = await login(c, 1, 'laptop');
    await settle(); // the kick notices of these logins are through (a late one would end the laptop's next login on node a)
    // Node a's kicks never reach the bus (NATS core is at most once).
    const publish = a.bus.publish.bind(a.bus);
    a.bus.publish = (userId, data) => (data[0] === Kind.KICK ? undefined : publish(userId, data));
    a.registry.kickDevice(1, 'phone', Kicked_Reason.TOKEN_REVOKED, 'desk'); // a device sign-out on node a
    const again = await login(a, 1, 'laptop'); // the laptop logs in again on node a
    await settle();
    expect(phone.conn.closed).toBe(false);
    expect(laptop.conn.closed).toBe(false);
    // Each node's heartbeat takes what the directory queued for it.
    await until(async () => (await b.registry.applyQueuedKicks()) === 1);
    expect(await c.registry.applyQueuedKicks()).toBe(1);
    expect(phone.conn.closed && laptop.conn.closed).toBe(true);
    expect(fromBinary(KickedSchema, framesOf(phone, Command.KICKED)[0]!.payload)).toMatchObject({ reason: Kicked_Reason.TOKEN_REVOKED, deviceName: 'desk' });
    expect(fromBinary(KickedSchema, framesOf(laptop, Command.KICKED)[0]!.payload)).toMatchObject({ reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'laptop-name' });
    expect([await a.registry.applyQueuedKicks(), await b.registry.applyQueuedKicks(), await c.registry.applyQueuedKicks()]).toEqual([0, 0, 0]);
    expect(again.conn.closed).toBe(false);
    expect(await directory.onlineDevices(1)).toEqual(new Set(['laptop']));
  });

  it('drops a malformed bus message', async () => {
    await fresh();
    const b1 = await login(b, 1, 'phone');
    a.bus.publish(1, new Uint8Array([Kind.KICK, 0x7b]));
    a.bus.publish(1, new Uint8Array([200, 1, 2]));
    // An EVENT's payload is passed on as is (the client decodes it): an empty one goes through.
    a.bus.publish(1, encodeMessage({ kind: Kind.EVENT, payload: new Uint8Array() }));
    await until(() => b.received.length === 3);
    expect(b1.conn.closed).toBe(false);
    expect(framesOf(b1, Command.PUSH)).toHaveLength(1);
  });
});

describe('the NATS bus across a nats-server restart', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNats();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('reconnects, resubscribes, and has every node resync', async () => {
    const directory = new LocalDirectory();
    const buses = await Promise.all(['a', 'b'].map((nodeId) => NatsBus.connect({ url: server.url, nodeId, logger })));
    const [a, b] = buses.map((bus, i) => makeNode(`n${i}`, bus, directory)) as [Node, Node];
    try {
      await login(a, 1, 'phone');
      const b2 = await login(b, 2, 'phone');
      await server.kill();
      await until(() => !a.bus.connected && !b.bus.connected, 20_000);
      a.registry.pushEvents([push(2, 1)]); // dropped: the bus is down
      await server.start();
      await until(() => a.resyncs.length >= 1 && b.resyncs.length >= 1, 20_000);
      expect(b.resyncs.flat()).toContain(2);
      a.registry.pushEvents([push(2, 2)]);
      await until(() => framesOf(b2, Command.PUSH).length === 1);
      expect(fromBinary(SyncEventSchema, framesOf(b2, Command.PUSH)[0]!.payload).seq).toBe(2n);
    } finally {
      for (const n of [a, b]) {
        n.registry.dispose();
        await n.bus.close();
      }
    }
  });
});

describe('a single node (an in-process hub of its own)', () => {
  it('delivers locally and publishes nothing to the bus; a second node joining turns publishing back on', async () => {
    const hub = new InProcessHub();
    const directory = new LocalDirectory();
    const metrics = new Metrics();
    const bus = hub.connect('solo');
    const registry = new SessionRegistry({ metrics, bus, directory, logger }, { onPresence: () => undefined, resync: () => Promise.resolve() });
    let other: Node | undefined;
    try {
      expect(bus.alone).toBe(true);
      const conn = new MemoryConnection();
      const session = new Session(nextSessionId++, conn, 0);
      registry.add(session);
      await registry.bind(session, 1, 'phone', 'phone-name', false);
      registry.pushEvents([push(1, 1)]);
      registry.typing([1], create(TypingNoticeSchema, { userId: 9n, typing: true }));
      expect(conn.sent.filter((f) => f.command === Command.PUSH)).toHaveLength(1);
      expect(conn.sent.filter((f) => f.command === Command.TYPING_PUSH)).toHaveLength(1);
      expect((await metrics.registry.getSingleMetricAsString('tern_bus_published_total')).trim().split('\n').at(-1)).toMatch(/ 0$/);

      other = makeNode('other', hub.connect('other'), directory);
      expect(bus.alone).toBe(false);
      const remote = await login(other, 1, 'laptop');
      registry.pushEvents([push(1, 2)]);
      await until(() => framesOf(remote, Command.PUSH).length === 1);
      expect(fromBinary(SyncEventSchema, framesOf(remote, Command.PUSH)[0]!.payload).seq).toBe(2n);
    } finally {
      registry.dispose();
      other?.registry.dispose();
      await other?.bus.close();
      await bus.close();
    }
  });
});
