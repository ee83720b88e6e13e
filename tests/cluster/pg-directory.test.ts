// The PostgreSQL session directory against a private PostgreSQL: presence from the first and last device anywhere,
// same-device replacement, kick_other_sessions, a dead node's users going offline after the TTL (and only those with
// no session elsewhere), a reaped node recording its sessions again, and exact transitions under concurrency.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRef } from '../../server/cluster/directory';
import { PgSessionDirectory, sessionAttemptsSchema, sessionDirectorySchema, sessionKicksSchema } from '../../server/cluster/pg-directory';
import { Kicked_Reason } from '../../shared/protocol';
import { startPostgres, type PostgresInstance, type TestDatabase } from '../support/postgres';

// Long enough that no node of these tests goes stale by itself on a loaded machine: a node's death is made by
// ageing its heartbeat row, not by waiting.
const TTL = 600_000;

describe('PostgreSQL session directory', () => {
  let server: PostgresInstance;
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    server = await startPostgres({ fsync: false });
    db = await server.createDatabase('directory');
    pool = new pg.Pool({ connectionString: db.url, max: 8 });
    await pool.query(sessionDirectorySchema);
    await pool.query(sessionKicksSchema);
    await pool.query(sessionAttemptsSchema);
  });
  afterAll(async () => {
    await pool?.end();
    await server?.destroy();
  });

  const ref = (userId: number, deviceId: string, nodeId: string, sessionId: number, attemptAt = 0): SessionRef => ({ userId, deviceId, nodeId, sessionId, attemptAt });
  let users = 1000;
  const fresh = () => ++users;

  it('is online from the first device on any node to the last', async () => {
    const a = new PgSessionDirectory(pool, 'pa', TTL);
    const b = new PgSessionDirectory(pool, 'pb', TTL);
    await a.maintain(() => []);
    await b.maintain(() => []);
    const u = fresh();
    expect(await a.add(ref(u, 'phone', 'pa', 1), false)).toBe('came-online');
    expect(await b.add(ref(u, 'laptop', 'pb', 1), false)).toBe('was-online');
    expect(await a.onlineAmong([u, u + 500])).toEqual(new Set([u]));
    // The devices list's "online": each device live on any node.
    expect(await b.onlineDevices(u)).toEqual(new Set(['phone', 'laptop']));
    expect(await a.remove(ref(u, 'phone', 'pa', 1))).toBe(false);
    expect(await a.onlineDevices(u)).toEqual(new Set(['laptop']));
    expect(await b.remove(ref(u, 'laptop', 'pb', 1))).toBe(true);
    expect(await a.onlineAmong([u])).toEqual(new Set());
  });

  it("a login older (by its client's attempt time) than the device's recorded one is superseded: nothing recorded, nothing kicked", async () => {
    const a = new PgSessionDirectory(pool, 'sa', TTL);
    const b = new PgSessionDirectory(pool, 'sb', TTL);
    await a.maintain(() => []);
    await b.maintain(() => []);
    const u = fresh();
    expect(await b.add(ref(u, 'phone', 'sb', 2, 2_000), false)).toBe('came-online');
    expect(await a.add(ref(u, 'phone', 'sa', 1, 1_000), true)).toBe('superseded');
    expect(await b.takeKicks('sb')).toEqual([]);
    expect(await b.reconcile([ref(u, 'phone', 'sb', 2, 2_000)])).toEqual({ replaced: [], missing: [] });
    // A later attempt replaces it as before (and queues the kick for its node); one not told (0) keeps the old rule.
    expect(await a.add(ref(u, 'phone', 'sa', 3, 3_000), false)).toBe('was-online');
    expect(await b.takeKicks('sb')).toMatchObject([{ userId: u, sessionId: 2, reason: Kicked_Reason.OTHER_LOGIN }]);
    expect(await b.add(ref(u, 'phone', 'sb', 4), false)).toBe('was-online');
  });

  it('a node taken for dead re-records its sessions; one a later login of its device replaced meanwhile is queued to be ended', async () => {
    const slow = new PgSessionDirectory(pool, 'slow', TTL);
    const other = new PgSessionDirectory(pool, 'other', TTL);
    await slow.maintain(() => []);
    await other.maintain(() => []);
    const u = fresh();
    await slow.add(ref(u, 'phone', 'slow', 1, 1_000), false);
    await pool.query(`UPDATE cluster_nodes SET seen_at = now() - interval '1 hour' WHERE node_id = 'slow'`);
    await other.maintain(() => []); // reaps `slow` and its rows
    await other.add(ref(u, 'phone', 'other', 7, 2_000), false);
    await slow.maintain(() => [ref(u, 'phone', 'slow', 1, 1_000)]);
    expect(await slow.takeKicks('slow')).toMatchObject([{ userId: u, sessionId: 1, reason: Kicked_Reason.OTHER_LOGIN }]);
    expect(await other.reconcile([ref(u, 'phone', 'other', 7, 2_000)])).toEqual({ replaced: [], missing: [] });
  });

  it('a new login of the same device replaces the record; the old session removing itself changes nothing', async () => {
    const a = new PgSessionDirectory(pool, 'pa', TTL);
    const u = fresh();
    expect(await a.add(ref(u, 'phone', 'pa', 10), false)).toBe('came-online');
    expect(await a.add(ref(u, 'phone', 'pb', 11), false)).toBe('was-online');
    expect(await a.remove(ref(u, 'phone', 'pa', 10))).toBe(false);
    expect(await a.onlineAmong([u])).toEqual(new Set([u]));
    expect(await a.reconcile([ref(u, 'phone', 'pa', 10), ref(u, 'phone', 'pb', 11), ref(u, 'tablet', 'pa', 12)])).toEqual({
      replaced: [ref(u, 'phone', 'pa', 10)],
      missing: [ref(u, 'tablet', 'pa', 12)],
    });
  });

  it('kick_other_sessions ends the other records: they no longer count as online and reconcile as replaced', async () => {
    const a = new PgSessionDirectory(pool, 'pa', TTL);
    const u = fresh();
    await a.add(ref(u, 'phone', 'pa', 20), false);
    await a.add(ref(u, 'laptop', 'pb', 21), false);
    expect(await a.add(ref(u, 'desktop', 'pa', 22), true)).toBe('was-online');
    const check = await a.reconcile([ref(u, 'phone', 'pa', 20), ref(u, 'laptop', 'pb', 21), ref(u, 'desktop', 'pa', 22)]);
    expect(check.replaced.map((r) => r.deviceId).sort()).toEqual(['laptop', 'phone']);
    expect(await a.remove(ref(u, 'desktop', 'pa', 22))).toBe(true); // the ended ones do not keep the user online
  });

  it('queues the kicks of sessions on other nodes (a login replacing them, a sign-out), for their node to take once', async () => {
    const k1 = new PgSessionDirectory(pool, 'k1', TTL);
    const k2 = new PgSessionDirectory(pool, 'k2', TTL);
    await k1.maintain(() => []);
    await k2.maintain(() => []);
    const u = fresh();
    await k1.add(ref(u, 'phone', 'k1', 1), false);
    await k1.add(ref(u, 'tablet', 'k1', 2), false);
    await k2.add(ref(u, 'laptop', 'k2', 3), false);
    // The same device logs in on k2: k1's phone session is queued for k1, nothing for k2's own sessions.
    await k2.add(ref(u, 'phone', 'k2', 4), false, 'new phone');
    expect(await k2.takeKicks()).toEqual([]);
    expect(await k1.takeKicks()).toEqual([{ userId: u, sessionId: 1, reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'new phone' }]);
    expect(await k1.takeKicks()).toEqual([]); // taken once
    // k2 signs the tablet out (its session is on k1).
    await k2.kick(u, { reason: Kicked_Reason.TOKEN_REVOKED, deviceName: 'laptop', deviceId: 'tablet', keepNode: 'k2', keepSession: 0 });
    expect(await k1.onlineDevices(u)).toEqual(new Set(['laptop', 'phone'])); // the tablet's record no longer counts
    expect(await k1.takeKicks()).toEqual([{ userId: u, sessionId: 2, reason: Kicked_Reason.TOKEN_REVOKED, deviceName: 'laptop' }]);
    // Kicking every session but the kicker's own: only the other node's are queued (the kicker ends its own at once).
    await k1.kick(u, { reason: Kicked_Reason.ACCOUNT_DISABLED, deviceName: '', deviceId: '', keepNode: 'k1', keepSession: 0 });
    expect((await k2.takeKicks()).map((k) => [k.sessionId, k.reason]).sort()).toEqual([
      [3, Kicked_Reason.ACCOUNT_DISABLED],
      [4, Kicked_Reason.ACCOUNT_DISABLED],
    ]);
    expect(await k1.onlineAmong([u])).toEqual(new Set());
    // kick_other_sessions queues every other device's session on other nodes.
    const v = fresh();
    await k1.add(ref(v, 'phone', 'k1', 5), false);
    await k2.add(ref(v, 'laptop', 'k2', 6), true, 'laptop');
    expect(await k1.takeKicks()).toEqual([{ userId: v, sessionId: 5, reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'laptop' }]);
  });

  it('a node that stops beating is reaped after the TTL: its users go offline unless online elsewhere; it records its sessions again if it comes back', async () => {
    const dying = new PgSessionDirectory(pool, 'dying', TTL);
    const alive = new PgSessionDirectory(pool, 'alive', TTL);
    await dying.maintain(() => []);
    await alive.maintain(() => []);
    const lonely = fresh();
    const roaming = fresh();
    await dying.add(ref(lonely, 'phone', 'dying', 1), false);
    await dying.add(ref(roaming, 'phone', 'dying', 2), false);
    await alive.add(ref(roaming, 'laptop', 'alive', 1), false);
    expect((await alive.maintain(() => [])).map((c) => c.userId)).not.toContain(lonely);
    // No heartbeat from `dying` for longer than the TTL (its row aged by that much); `alive` is fresh.
    await pool.query(`UPDATE cluster_nodes SET seen_at = now() - $2 * interval '1 millisecond' - interval '1 second' WHERE node_id = $1`, ['dying', TTL]);
    expect(await alive.onlineAmong([lonely, roaming])).toEqual(new Set([roaming]));
    const reaped = (await alive.maintain(() => [])).map((c) => (expect(c.online).toBe(false), c.userId));
    expect(reaped).toContain(lonely);
    expect(reaped).not.toContain(roaming);
    expect((await alive.maintain(() => [])).map((c) => c.userId)).not.toContain(lonely); // reaped once
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM cluster_sessions WHERE node_id = $1', ['dying']);
    expect(rows[0].n).toBe(0);
    // `dying` was only slow: its next heartbeat finds its row gone and records its live sessions again.
    expect(await dying.maintain(() => [ref(lonely, 'phone', 'dying', 1)])).toEqual([{ userId: lonely, online: true }]);
    expect(await alive.onlineAmong([lonely])).toEqual(new Set([lonely]));
  });

  it('reports each transition exactly once when devices come and go on several nodes at once', async () => {
    const nodes = ['n1', 'n2', 'n3'].map((id) => new PgSessionDirectory(pool, id, TTL));
    await Promise.all(nodes.map((n) => n.maintain(() => [])));
    const u = fresh();
    for (let round = 0; round < 5; round++) {
      const devices = Array.from({ length: 12 }, (_, i) => ref(u, `d${i}`, `n${(i % 3) + 1}`, round * 100 + i));
      const came = await Promise.all(devices.map((d, i) => nodes[i % 3]!.add(d, false)));
      expect(came.filter((c) => c === 'came-online')).toHaveLength(1);
      const gone = await Promise.all(devices.map((d, i) => nodes[i % 3]!.remove(d)));
      expect(gone.filter(Boolean)).toHaveLength(1);
    }
  });
});
