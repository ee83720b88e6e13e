/**
 * The session directory of a cluster, in PostgreSQL: one row per logged-in
 * device (which node, which session) and one per node with its heartbeat.
 * A user is online while a row of theirs names a node whose heartbeat is
 * fresh, so a node that dies (kill -9, power) takes its users offline within
 * `ttlMs` without anyone having to tell: any node that notices deletes the
 * dead node's rows and tells the friends of the users who are now offline.
 *
 * Why a table (not NATS KV, not heartbeats per user): presence is read
 * together with data that already lives here (friends, members), the store
 * is the one engine every node must reach anyway, writes happen only at
 * login and logout plus one heartbeat per node every ttl/3 (not per user),
 * and the tables are UNLOGGED: no WAL for churn, and after a PostgreSQL
 * crash they come back empty, which the heartbeat repairs (a node whose row
 * is gone records its sessions again). docs/SCALING.md has the reasoning.
 *
 * Each change of a user's rows runs in one function call under an advisory
 * lock on the user, so "was online before" / "is offline now" are exact
 * even when devices come and go on several nodes at once.
 */
import type { Pool } from 'pg';
import { Kicked_Reason } from '../../shared/protocol';
import type { AddOutcome, KickNotice, PresenceChange, Reconciliation, SessionDirectory, SessionRef } from './directory';
import type { KickOrder } from './envelope';

/** The schema (a PostgreSQL migration runs it). */
export const sessionDirectorySchema = `
  CREATE UNLOGGED TABLE cluster_nodes (
    node_id text PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE UNLOGGED TABLE cluster_sessions (
    user_id bigint NOT NULL,
    device_id text NOT NULL,
    node_id text NOT NULL,
    session_id bigint NOT NULL,
    since timestamptz NOT NULL DEFAULT now(),
    -- ended by a kick_other_sessions login; the node holding it ends it (and deletes the row)
    ended boolean NOT NULL DEFAULT false,
    PRIMARY KEY (user_id, device_id)
  );
  CREATE INDEX cluster_sessions_node ON cluster_sessions (node_id);

  -- Does the user have a live session: a row not ended, on a node whose heartbeat is fresh?
  CREATE FUNCTION tern_user_online(p_user bigint, p_ttl_ms integer) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
      SELECT 1 FROM cluster_sessions s JOIN cluster_nodes n ON n.node_id = s.node_id
      WHERE s.user_id = p_user AND NOT s.ended AND n.seen_at > clock_timestamp() - p_ttl_ms * interval '1 millisecond')
  $$;

  -- Records a login; true when the user had no live session before.
  CREATE FUNCTION tern_session_add(p_user bigint, p_device text, p_node text, p_session bigint, p_kick_others boolean, p_ttl_ms integer)
  RETURNS boolean LANGUAGE plpgsql AS $$
  DECLARE was_online boolean;
  BEGIN
    PERFORM pg_advisory_xact_lock(1952805486, hashtext(p_user::text));
    was_online := tern_user_online(p_user, p_ttl_ms);
    IF p_kick_others THEN
      UPDATE cluster_sessions SET ended = true WHERE user_id = p_user AND device_id <> p_device;
    END IF;
    INSERT INTO cluster_sessions (user_id, device_id, node_id, session_id) VALUES (p_user, p_device, p_node, p_session)
    ON CONFLICT (user_id, device_id) DO UPDATE SET node_id = EXCLUDED.node_id, session_id = EXCLUDED.session_id, since = now(), ended = false;
    RETURN NOT was_online;
  END $$;

  -- Forgets a session if the row is still its own; true when the user has no live session now.
  CREATE FUNCTION tern_session_remove(p_user bigint, p_device text, p_node text, p_session bigint, p_ttl_ms integer)
  RETURNS boolean LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(1952805486, hashtext(p_user::text));
    DELETE FROM cluster_sessions WHERE user_id = p_user AND device_id = p_device AND node_id = p_node AND session_id = p_session;
    RETURN NOT tern_user_online(p_user, p_ttl_ms);
  END $$;

  -- Deletes the nodes that stopped beating and their rows; returns the users left with no live session.
  CREATE FUNCTION tern_reap_nodes(p_ttl_ms integer) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
  DECLARE gone bigint[];
  BEGIN
    WITH dead AS (
      DELETE FROM cluster_nodes WHERE seen_at < clock_timestamp() - p_ttl_ms * interval '1 millisecond' RETURNING node_id
    ), rows AS (
      DELETE FROM cluster_sessions s USING dead WHERE s.node_id = dead.node_id RETURNING s.user_id
    )
    SELECT array_agg(DISTINCT user_id) INTO gone FROM rows;
    -- Rows of nodes that have no heartbeat row at all (lost with an unlogged table, or a node reaped mid-login).
    WITH orphans AS (
      DELETE FROM cluster_sessions s WHERE NOT EXISTS (SELECT 1 FROM cluster_nodes n WHERE n.node_id = s.node_id)
        AND s.since < clock_timestamp() - p_ttl_ms * interval '1 millisecond' RETURNING s.user_id
    )
    SELECT array_agg(DISTINCT u) INTO gone FROM (SELECT unnest(gone) AS u UNION SELECT user_id FROM orphans) x;
    RETURN QUERY SELECT u FROM unnest(gone) AS u WHERE NOT tern_user_online(u, p_ttl_ms);
  END $$;
`;

/**
 * Kicks through the directory (PostgreSQL migration 7). A kick published on
 * the bus may be lost (NATS core is at most once), and a signed-out device
 * must not stay connected until it happens to reconnect: so every kick of a
 * session on another node is also queued here, and each node takes its
 * queue at every heartbeat (`takeKicks`, every ttl/3). The bus makes a kick
 * immediate; this makes it certain. Rows exist only between a kick and the
 * holder's next heartbeat (a dead node's are dropped after 10 ttl).
 */
export const sessionKicksSchema = `
  CREATE TABLE cluster_kicks (
    node_id text NOT NULL,
    session_id bigint NOT NULL,
    user_id bigint NOT NULL,
    reason smallint NOT NULL,
    device_name text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node_id, session_id)
  );

  -- Ends the user's sessions (one device, or all with p_device = ''), except the one to keep: their rows stop
  -- counting for presence, and those on other nodes than the kicker are queued for their node.
  CREATE FUNCTION tern_session_kick(p_user bigint, p_device text, p_node text, p_keep_session bigint, p_reason smallint, p_device_name text)
  RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(1952805486, hashtext(p_user::text));
    INSERT INTO cluster_kicks (node_id, session_id, user_id, reason, device_name)
      SELECT node_id, session_id, user_id, p_reason, p_device_name FROM cluster_sessions
      WHERE user_id = p_user AND (p_device = '' OR device_id = p_device) AND node_id <> p_node
    ON CONFLICT DO NOTHING;
    UPDATE cluster_sessions SET ended = true
      WHERE user_id = p_user AND (p_device = '' OR device_id = p_device) AND NOT (node_id = p_node AND session_id = p_keep_session);
  END $$;

  -- tern_session_add, and the sessions the login replaces on other nodes (the same device; with kick_others every
  -- other device) are queued for their nodes.
  DROP FUNCTION tern_session_add(bigint, text, text, bigint, boolean, integer);
  CREATE FUNCTION tern_session_add(p_user bigint, p_device text, p_node text, p_session bigint, p_kick_others boolean, p_ttl_ms integer,
    p_reason smallint, p_device_name text)
  RETURNS boolean LANGUAGE plpgsql AS $$
  DECLARE was_online boolean;
  BEGIN
    PERFORM pg_advisory_xact_lock(1952805486, hashtext(p_user::text));
    was_online := tern_user_online(p_user, p_ttl_ms);
    INSERT INTO cluster_kicks (node_id, session_id, user_id, reason, device_name)
      SELECT node_id, session_id, user_id, p_reason, p_device_name FROM cluster_sessions
      WHERE user_id = p_user AND node_id <> p_node AND NOT ended AND (device_id = p_device OR p_kick_others)
    ON CONFLICT DO NOTHING;
    IF p_kick_others THEN
      UPDATE cluster_sessions SET ended = true WHERE user_id = p_user AND device_id <> p_device;
    END IF;
    INSERT INTO cluster_sessions (user_id, device_id, node_id, session_id) VALUES (p_user, p_device, p_node, p_session)
    ON CONFLICT (user_id, device_id) DO UPDATE SET node_id = EXCLUDED.node_id, session_id = EXCLUDED.session_id, since = now(), ended = false;
    RETURN NOT was_online;
  END $$;
`;

/**
 * Logins ordered by the client's attempt time (PostgreSQL migration 8): a
 * login that reaches the directory after a later login of its device (the
 * client gave up on it: a slow node, a half-open link) is not recorded and
 * kicks nothing; the node ends it. Returns 1 when the user came online, 0 when
 * they were online already, 2 for such a superseded login.
 */
export const sessionAttemptsSchema = `
  ALTER TABLE cluster_sessions ADD COLUMN attempt_at bigint NOT NULL DEFAULT 0;
  DROP FUNCTION tern_session_add(bigint, text, text, bigint, boolean, integer, smallint, text);
  CREATE FUNCTION tern_session_add(p_user bigint, p_device text, p_node text, p_session bigint, p_kick_others boolean, p_ttl_ms integer,
    p_reason smallint, p_device_name text, p_attempt bigint)
  RETURNS smallint LANGUAGE plpgsql AS $$
  DECLARE was_online boolean;
  BEGIN
    PERFORM pg_advisory_xact_lock(1952805486, hashtext(p_user::text));
    IF p_attempt > 0 AND EXISTS (SELECT 1 FROM cluster_sessions WHERE user_id = p_user AND device_id = p_device AND NOT ended
        AND attempt_at > p_attempt AND NOT (node_id = p_node AND session_id = p_session)) THEN
      RETURN 2;
    END IF;
    was_online := tern_user_online(p_user, p_ttl_ms);
    INSERT INTO cluster_kicks (node_id, session_id, user_id, reason, device_name)
      SELECT node_id, session_id, user_id, p_reason, p_device_name FROM cluster_sessions
      WHERE user_id = p_user AND node_id <> p_node AND NOT ended AND (device_id = p_device OR p_kick_others)
    ON CONFLICT DO NOTHING;
    IF p_kick_others THEN
      UPDATE cluster_sessions SET ended = true WHERE user_id = p_user AND device_id <> p_device;
    END IF;
    INSERT INTO cluster_sessions (user_id, device_id, node_id, session_id, attempt_at) VALUES (p_user, p_device, p_node, p_session, p_attempt)
    ON CONFLICT (user_id, device_id) DO UPDATE SET node_id = EXCLUDED.node_id, session_id = EXCLUDED.session_id, attempt_at = EXCLUDED.attempt_at,
      since = now(), ended = false;
    RETURN CASE WHEN was_online THEN 0 ELSE 1 END;
  END $$;
`;

const addOutcomes: readonly AddOutcome[] = ['was-online', 'came-online', 'superseded'];

export class PgSessionDirectory implements SessionDirectory {
  private beaten = false;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly nodeId: string,
    private readonly ttlMs: number,
  ) {}

  async add(ref: SessionRef, kickOthers: boolean, deviceName = ''): Promise<AddOutcome> {
    const { rows } = await this.pool.query<{ outcome: number }>('SELECT tern_session_add($1, $2, $3, $4, $5, $6, $7, $8, $9) AS outcome', [
      ref.userId,
      ref.deviceId,
      ref.nodeId,
      ref.sessionId,
      kickOthers,
      this.ttlMs,
      Kicked_Reason.OTHER_LOGIN,
      deviceName,
      ref.attemptAt,
    ]);
    return addOutcomes[rows[0]!.outcome]!;
  }

  async kick(userId: number, kick: KickOrder): Promise<void> {
    await this.pool.query('SELECT tern_session_kick($1, $2, $3, $4, $5, $6)', [userId, kick.deviceId, kick.keepNode, kick.keepSession, kick.reason, kick.deviceName]);
  }

  private async queueKick(ref: SessionRef, reason: Kicked_Reason): Promise<void> {
    await this.pool.query('INSERT INTO cluster_kicks (node_id, session_id, user_id, reason, device_name) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
      ref.nodeId,
      ref.sessionId,
      ref.userId,
      reason,
      '',
    ]);
  }

  async takeKicks(nodeId: string = this.nodeId): Promise<KickNotice[]> {
    if (this.closed) return [];
    // Also drops what nodes long dead never took (a live node takes its queue every ttl/3).
    const { rows } = await this.pool.query<{ node_id: string; session_id: string; user_id: string; reason: number; device_name: string }>(
      `DELETE FROM cluster_kicks WHERE node_id = $1 OR at < clock_timestamp() - $2 * interval '1 millisecond'
       RETURNING node_id, session_id, user_id, reason, device_name`,
      [nodeId, this.ttlMs * 10],
    );
    return rows
      .filter((r) => r.node_id === nodeId)
      .map((r) => ({ userId: Number(r.user_id), sessionId: Number(r.session_id), reason: r.reason, deviceName: r.device_name }));
  }

  async remove(ref: SessionRef): Promise<boolean> {
    const { rows } = await this.pool.query<{ gone: boolean }>('SELECT tern_session_remove($1, $2, $3, $4, $5) AS gone', [ref.userId, ref.deviceId, ref.nodeId, ref.sessionId, this.ttlMs]);
    return rows[0]!.gone;
  }

  async onlineAmong(userIds: readonly number[]): Promise<Set<number>> {
    if (userIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ user_id: string }>(
      `SELECT DISTINCT s.user_id FROM cluster_sessions s JOIN cluster_nodes n ON n.node_id = s.node_id
       WHERE s.user_id = ANY($1::bigint[]) AND NOT s.ended AND n.seen_at > clock_timestamp() - $2 * interval '1 millisecond'`,
      [userIds, this.ttlMs],
    );
    return new Set(rows.map((r) => Number(r.user_id)));
  }

  async onlineDevices(userId: number): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ device_id: string }>(
      `SELECT s.device_id FROM cluster_sessions s JOIN cluster_nodes n ON n.node_id = s.node_id
       WHERE s.user_id = $1 AND NOT s.ended AND n.seen_at > clock_timestamp() - $2 * interval '1 millisecond'`,
      [userId, this.ttlMs],
    );
    return new Set(rows.map((r) => r.device_id));
  }

  async maintain(local: () => readonly SessionRef[]): Promise<PresenceChange[]> {
    if (this.closed) return [];
    const { rows } = await this.pool.query<{ inserted: boolean }>(
      `INSERT INTO cluster_nodes (node_id) VALUES ($1) ON CONFLICT (node_id) DO UPDATE SET seen_at = now() RETURNING (xmax = 0) AS inserted`,
      [this.nodeId],
    );
    const changed: PresenceChange[] = [];
    if (rows[0]!.inserted && this.beaten) {
      // The directory had taken this node for dead (or lost its unlogged tables): record our sessions again.
      for (const ref of local()) {
        const added = await this.add(ref, false);
        if (added === 'came-online') changed.push({ userId: ref.userId, online: true });
        // The device logged in again elsewhere meanwhile: queued for this node, so this heartbeat's applyQueuedKicks ends it.
        if (added === 'superseded') await this.queueKick(ref, Kicked_Reason.OTHER_LOGIN);
      }
    }
    this.beaten = true;
    const reaped = await this.pool.query<{ u: string }>('SELECT u FROM tern_reap_nodes($1) AS u', [this.ttlMs]);
    for (const r of reaped.rows) changed.push({ userId: Number(r.u), online: false });
    return changed;
  }

  async reconcile(local: readonly SessionRef[]): Promise<Reconciliation> {
    if (local.length === 0) return { replaced: [], missing: [] };
    const { rows } = await this.pool.query<{ user_id: string; device_id: string; node_id: string; session_id: string; ended: boolean }>(
      `SELECT s.user_id, s.device_id, s.node_id, s.session_id, s.ended FROM cluster_sessions s
       JOIN unnest($1::bigint[], $2::text[]) AS l(user_id, device_id) ON l.user_id = s.user_id AND l.device_id = s.device_id`,
      [local.map((r) => r.userId), local.map((r) => r.deviceId)],
    );
    const records = new Map(rows.map((r) => [`${r.user_id}\u0000${r.device_id}`, r]));
    const replaced: SessionRef[] = [];
    const missing: SessionRef[] = [];
    for (const ref of local) {
      const row = records.get(`${ref.userId}\u0000${ref.deviceId}`);
      if (!row) missing.push(ref);
      else if (row.ended || row.node_id !== ref.nodeId || Number(row.session_id) !== ref.sessionId) replaced.push(ref);
    }
    return { replaced, missing };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
