/**
 * The outbox: messages to send, kept until the server acknowledges them
 * (or the user deletes them). It survives restarts; the outbox engine
 * (../outbox.ts) owns the retry policy and only stores its state here.
 * Every operation is one statement on the (state, next_attempt_at) index:
 * the engine never reads the whole table to decide what to do next.
 */
import type { ConversationKey, ErrorInfo } from '../../../shared/ipc';
import type { OutboxEntry, OutboxPayload, OutboxRepository, OutboxState } from './api';
import { parseJson, type CacheContext } from './context';
import { parseStored } from '../attachments/stored';

interface OutboxRow {
  client_msg_id: string;
  conv: ConversationKey;
  payload: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  last_error: string | null;
}

export function outboxFromRow(r: OutboxRow): OutboxEntry {
  const p = parseJson<Partial<OutboxPayload>>(r.payload, {});
  const entry: OutboxEntry = {
    clientMsgId: r.client_msg_id,
    key: r.conv,
    payload: { text: p.text ?? '', mentions: Array.isArray(p.mentions) ? p.mentions : [], replyToMsgId: p.replyToMsgId ?? 0 },
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
  };
  const attachments = parseStored(p.attachments);
  if (attachments.length > 0) entry.payload.attachments = attachments;
  const err = parseJson<ErrorInfo | undefined>(r.last_error, undefined);
  if (err) entry.lastError = err;
  return entry;
}

export class Outbox implements OutboxRepository {
  constructor(private readonly ctx: CacheContext) {}

  add(e: { clientMsgId: string; key: ConversationKey; payload: OutboxPayload; createdAt: number; nextAttemptAt?: number }): OutboxEntry {
    this.ctx.db
      .stmt(
        `INSERT INTO outbox (client_msg_id, conv, payload, state, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, 'queued', 0, ?, ?)`,
      )
      .run(e.clientMsgId, e.key, JSON.stringify(e.payload), e.nextAttemptAt ?? e.createdAt, e.createdAt);
    return { clientMsgId: e.clientMsgId, key: e.key, payload: e.payload, state: 'queued', attempts: 0, nextAttemptAt: e.nextAttemptAt ?? e.createdAt, createdAt: e.createdAt };
  }

  get(clientMsgId: string): OutboxEntry | undefined {
    const r = this.ctx.db.stmt<[string], OutboxRow>(`SELECT * FROM outbox WHERE client_msg_id = ?`).get(clientMsgId);
    return r ? outboxFromRow(r) : undefined;
  }

  list(): OutboxEntry[] {
    return this.ctx.db.stmt<[], OutboxRow>(`SELECT * FROM outbox ORDER BY created_at, client_msg_id`).all().map(outboxFromRow);
  }

  listDue(now: number, limit = 100): OutboxEntry[] {
    return this.ctx.db
      .stmt<[number, number], OutboxRow>(
        `SELECT * FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY created_at, client_msg_id LIMIT ?`,
      )
      .all(now, limit)
      .map(outboxFromRow);
  }

  update(clientMsgId: string, patch: Partial<Pick<OutboxEntry, 'state' | 'attempts' | 'nextAttemptAt' | 'lastError'>>): OutboxEntry | undefined {
    // One statement: each field is set only when the patch has it (`lastError: undefined` present clears it).
    const setError = 'lastError' in patch;
    const row = this.ctx.db
      .stmt<[string | null, number | null, number | null, number, string | null, string], OutboxRow>(
        `UPDATE outbox SET state = coalesce(?, state), attempts = coalesce(?, attempts), next_attempt_at = coalesce(?, next_attempt_at),
           last_error = CASE WHEN ? THEN ? ELSE last_error END
         WHERE client_msg_id = ? RETURNING *`,
      )
      .get(
        patch.state ?? null,
        patch.attempts ?? null,
        patch.nextAttemptAt ?? null,
        setError ? 1 : 0,
        patch.lastError ? JSON.stringify(patch.lastError) : null,
        clientMsgId,
      );
    return row ? outboxFromRow(row) : undefined;
  }

  requeueInflight(now: number): number {
    return this.ctx.db.stmt(`UPDATE outbox SET state = 'queued', next_attempt_at = ? WHERE state = 'inflight'`).run(now).changes;
  }

  makeDue(now: number): number {
    return this.ctx.db.stmt(`UPDATE outbox SET next_attempt_at = ? WHERE state = 'queued' AND next_attempt_at > ?`).run(now, now).changes;
  }

  requeueFailedOffline(now: number): string[] {
    return this.ctx.db
      .stmt<[number], { client_msg_id: string; created_at: number }>(
        `UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = ?, last_error = NULL
         WHERE state = 'failed' AND json_extract(last_error, '$.code') = 'OFFLINE' RETURNING client_msg_id, created_at`,
      )
      .all(now)
      .sort((a, b) => a.created_at - b.created_at || (a.client_msg_id < b.client_msg_id ? -1 : 1))
      .map((r) => r.client_msg_id);
  }

  nextAttemptAfter(now: number): number | undefined {
    return (
      this.ctx.db.stmt<[number], { at: number | null }>(`SELECT min(next_attempt_at) AS at FROM outbox WHERE state = 'queued' AND next_attempt_at > ?`).get(now)?.at ??
      undefined
    );
  }

  hasUnsent(): boolean {
    return this.ctx.db.stmt<[], { n: number }>(`SELECT EXISTS (SELECT 1 FROM outbox WHERE state IN ('queued', 'inflight')) AS n`).get()?.n === 1;
  }

  listUnsent(): { clientMsgId: string; key: ConversationKey }[] {
    return this.ctx.db
      .stmt<[], { client_msg_id: string; conv: ConversationKey }>(`SELECT client_msg_id, conv FROM outbox WHERE state IN ('queued', 'inflight') ORDER BY created_at, client_msg_id`)
      .all()
      .map((r) => ({ clientMsgId: r.client_msg_id, key: r.conv }));
  }

  remove(clientMsgId: string): boolean {
    return this.ctx.db.stmt(`DELETE FROM outbox WHERE client_msg_id = ?`).run(clientMsgId).changes > 0;
  }

  count(): number {
    return this.ctx.db.stmt<[], { n: number }>(`SELECT count(*) AS n FROM outbox`).get()?.n ?? 0;
  }
}
