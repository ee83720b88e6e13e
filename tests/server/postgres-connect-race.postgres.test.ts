// A connection PostgreSQL ends the instant it is ready (a fast shutdown reaches a backend that has just finished its
// startup: ReadyForQuery and the FATAL 57P01 arrive in one TCP read). The driver hands the new connection to the
// pool's caller and then reports the error in the same turn, before an awaiting caller can listen: the store must
// listen from the moment the connection exists, or the error is an uncaught exception that ends the whole node (a
// chaos run lost a gateway this way). Here a proxy in front of the shared PostgreSQL does exactly that on demand.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, expect, inject, it } from 'vitest';
import { readOperation } from '../../server/operations/operation';
import { PostgresStore } from '../../server/storage/postgres-store';
import { StoreUnavailableError } from '../../server/storage/store';
import { createDatabase, type TestDatabase } from '../support/postgres';
import { waitFor } from '../support/wait';

/** An ErrorResponse: FATAL 57P01, as PostgreSQL sends it to every backend on a fast shutdown. */
function adminShutdown(): Buffer {
  const field = (type: string, value: string) => Buffer.concat([Buffer.from(type), Buffer.from(value), Buffer.from([0])]);
  const body = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', '57P01'), field('M', 'terminating connection due to administrator command'), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

interface Proxy {
  port: number;
  /** The next connection's first ReadyForQuery is followed, in the same write, by FATAL 57P01; then it closes. */
  killNextAtReady(): void;
  /** Connections ended that way so far. */
  readonly killed: number;
  /** Ends every proxied connection (the pool's idle ones go). */
  dropAll(): void;
  close(): Promise<void>;
}

async function startProxy(target: { host: string; port: number }): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let armed = false;
  let killed = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    const kill = armed;
    armed = false;
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    if (!kill) {
      upstream.pipe(client);
      return;
    }
    // Server to client, message by message (after the startup packet every message is type + int32 length).
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let at = 0;
      while (pending.length - at >= 5) {
        const length = pending.readInt32BE(at + 1);
        if (pending.length - at < 1 + length) break;
        const type = String.fromCharCode(pending[at]!);
        at += 1 + length;
        if (type === 'Z') {
          killed++;
          client.end(Buffer.concat([pending.subarray(0, at), adminShutdown()]));
          upstream.destroy();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    get killed() {
      return killed;
    },
    killNextAtReady: () => {
      armed = true;
    },
    dropAll: () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let db: TestDatabase | undefined;
let proxy: Proxy | undefined;
let store: PostgresStore | undefined;
afterAll(async () => {
  await store?.close();
  proxy?.dropAll();
  await proxy?.close();
  await db?.drop();
});

const select1 = readOperation('test.select1', async ({ tx }) => (await tx.sequences.head(1)) >= 0);

it('a connection ended as it becomes ready fails the call as unavailable, and the process lives on', async () => {
  const shared = inject('postgres');
  db = await createDatabase(shared.url, 'connrace');
  const url = new URL(db.url);
  proxy = await startProxy({ host: url.hostname, port: Number(url.port) });
  url.port = String(proxy.port);
  store = await PostgresStore.open(url.toString(), { poolSize: 2 });
  expect(await store.read(select1, undefined, 0)).toBe(true);

  for (let i = 0; i < 5; i++) {
    // No idle connection left: the next call opens a new one, which dies the moment it is ready.
    proxy.dropAll();
    await waitFor(() => store!.pool.totalCount === 0 || undefined, 'the pool dropped its dead connections', 10_000);
    proxy.killNextAtReady();
    const failed = await store.read(select1, undefined, 0).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(StoreUnavailableError);
    // The next connection is a good one.
    expect(await store.read(select1, undefined, 0)).toBe(true);
  }
  expect(proxy.killed).toBe(5);
});
