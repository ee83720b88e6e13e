/**
 * Full-text search over messages (FTS5, see ./segment.ts for why bigrams).
 *
 * Query plan, in the habit of Signal Desktop: the FTS match runs alone in an
 * inner query that keeps only rowids and scores (capped to the newest
 * CANDIDATE_CAP matches, walked in rowid order so FTS5 can stop early), the
 * few best are sorted there, and only then joined with messages and
 * conversations. A query matching half the cache ("的", "the") therefore
 * costs the cap, not the whole doclist join. Ranking is bm25 (body only),
 * ties broken newest first.
 */
import type { ConversationKey, MessageSearchHit } from '../../../shared/ipc';
import type { SearchOptions, SearchRepository } from './api';
import type { CacheContext } from './context';
import { ftsExpression, parseQuery, segmentForIndex } from './segment';
import { buildSnippet } from './snippet';
import { parseStored, searchableText, summaryOf } from '../attachments/stored';

/** The one-token form of a key in the index's `conv` column (`u:12` -> `u12`). */
export function ftsConvToken(key: ConversationKey): string {
  return key.replace(':', '');
}

/** How many of the newest matches are ranked. Older matches beyond it are not returned for very common terms. */
export const CANDIDATE_CAP = 2000;

/** Index maintenance, called by the message repository inside its transactions. */
export class SearchIndex {
  constructor(private readonly ctx: CacheContext) {}

  add(rowid: number, key: ConversationKey, text: string): void {
    this.ctx.db.stmt(`INSERT INTO messages_fts (rowid, body, conv) VALUES (?, ?, ?)`).run(rowid, segmentForIndex(text), ftsConvToken(key));
  }

  remove(rowid: number): void {
    this.ctx.db.stmt(`DELETE FROM messages_fts WHERE rowid = ?`).run(rowid);
  }
}

interface HitRow {
  rowid: number;
  score: number;
  id: string;
  conv: ConversationKey;
  sender_id: number;
  sent_at: number;
  text: string;
  attachments: string | null;
  title: string | null;
}

const HIT_SELECT = `
  SELECT m.rowid AS rowid, top.score AS score, m.id, m.conv, m.sender_id, m.sent_at, m.text, m.attachments,
         CASE c.type WHEN 'group' THEN g.name ELSE coalesce(nullif(p.nickname, ''), p.username) END AS title
  FROM top
  JOIN messages m ON m.rowid = top.rowid
  JOIN conversations c ON c.key = m.conv
  LEFT JOIN profiles p ON c.type = 'direct' AND p.user_id = c.target_id
  LEFT JOIN chat_groups g ON c.type = 'group' AND g.id = c.target_id
  WHERE m.recalled = 0
  ORDER BY top.score, m.sent_at DESC, m.rowid DESC`;

export class Search implements SearchRepository {
  constructor(private readonly ctx: CacheContext) {}

  search(options: SearchOptions): MessageSearchHit[] {
    const limit = Math.max(1, Math.min(500, Math.floor(options.limit)));
    const terms = parseQuery(options.query);
    const body = ftsExpression(terms);
    if (!body) return [];
    const match = options.key ? `conv : "${ftsConvToken(options.key)}" AND ${body}` : body;
    const rows = this.ctx.db
      .stmt<[string, number, number], HitRow>(
        `WITH candidates AS (
           SELECT rowid, bm25(messages_fts, 1.0, 0.0) AS score FROM messages_fts
           WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?
         ),
         top AS (SELECT rowid, score FROM candidates ORDER BY score, rowid DESC LIMIT ?)
         ${HIT_SELECT}`,
      )
      .all(match, CANDIDATE_CAP, limit);
    return rows.map((r) => {
      const files = parseStored(r.attachments);
      const hit: MessageSearchHit = {
        messageId: r.id,
        conversationKey: r.conv,
        conversationTitle: r.title ?? '',
        senderId: r.sender_id,
        sentAt: r.sent_at,
        // The indexed text: a file found by its name shows the name.
        snippet: buildSnippet(searchableText(r.text, files), terms),
      };
      const attachment = summaryOf(files);
      if (attachment) hit.attachment = attachment;
      return hit;
    });
  }

  maintain(pages = 50): boolean {
    const db = this.ctx.db;
    const before = db.stmt<[], { n: number }>(`SELECT total_changes() AS n`).get()!.n;
    // Negative: merge any level with 2+ segments (positive only merges levels that reached 'automerge' segments).
    db.stmt(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', ?)`).run(-Math.max(1, Math.floor(pages)));
    const after = db.stmt<[], { n: number }>(`SELECT total_changes() AS n`).get()!.n;
    // FTS5: fewer than 2 changed rows means there was nothing left to merge.
    return after - before >= 2;
  }

  rebuild(): void {
    const db = this.ctx.db;
    db.transaction(() => {
      db.stmt(`INSERT INTO messages_fts (messages_fts) VALUES ('delete-all')`).run();
      const add = db.stmt(`INSERT INTO messages_fts (rowid, body, conv) VALUES (?, ?, ?)`);
      const chunk = db.stmt<[number], { rowid: number; conv: ConversationKey; text: string; attachments: string | null }>(
        `SELECT rowid, conv, text, attachments FROM messages WHERE rowid > ? AND recalled = 0 AND (text <> '' OR attachments IS NOT NULL) ORDER BY rowid LIMIT 2000`,
      );
      // Chunks rather than iterate(): better-sqlite3 cannot write while a read cursor is open.
      for (let after = 0; ; ) {
        const rows = chunk.all(after);
        if (rows.length === 0) break;
        for (const r of rows) add.run(r.rowid, segmentForIndex(searchableText(r.text, parseStored(r.attachments))), ftsConvToken(r.conv));
        after = rows[rows.length - 1]!.rowid;
      }
    });
  }
}
