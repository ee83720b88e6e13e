/**
 * The outbox: messages to send, kept until the server acknowledges them
 * (or the user deletes them). It survives restarts; the outbox engine (part
 * B) owns the retry policy and only stores its state here.
 */
import type { ConversationKey, ErrorInfo } from '../../../shared/ipc';
import type { OutboxEntry, OutboxPayload, OutboxRepository, OutboxState } from './api';
import { parseJson, type CacheContext } from './context';

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
    return this.get(e.clientMsgId)!;
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
    const cur = this.get(clientMsgId);
    if (!cur) return undefined;
    const next = { ...cur, ...patch };
    this.ctx.db
      .stmt(`UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE client_msg_id = ?`)
      .run(next.state, next.attempts, next.nextAttemptAt, next.lastError ? JSON.stringify(next.lastError) : null, clientMsgId);
    return this.get(clientMsgId);
  }

  remove(clientMsgId: string): boolean {
    return this.ctx.db.stmt(`DELETE FROM outbox WHERE client_msg_id = ?`).run(clientMsgId).changes > 0;
  }

  count(): number {
    return this.ctx.db.stmt<[], { n: number }>(`SELECT count(*) AS n FROM outbox`).get()?.n ?? 0;
  }
}
