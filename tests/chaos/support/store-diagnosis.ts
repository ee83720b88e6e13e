/**
 * Why a cluster scenario's recipients lack what their senders saw acknowledged:
 * for each participant, its user's event stream in PostgreSQL (head, any gap in
 * the sequence) against its cache's sync cursors, and for each missing copy
 * whether the message row and that recipient's event for it are stored (and
 * with which sequence); then the core's last sync records. Stored events past
 * the cursor point at the client's sync; a missing event or row at the store.
 * Ids and sequences only, no message content.
 */
import pg from 'pg';
import type { ConversationKey, MessageView } from '../../../shared/ipc';
import { openCacheFile } from '../../support/cache-file';
import { allMessages } from './invariants';
import type { Participant } from './participant';
import type { World } from './world';

const MAX_MISSING = 12;
const RECENT = 15;

export async function diagnoseMissing(world: World, databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const caches = new Map<Participant, Map<ConversationKey, MessageView[]>>();
    for (const p of world.participants) {
      const byKey = new Map<ConversationKey, MessageView[]>();
      for (const c of (await p.core.listConversations({ limit: 500 })).items) byKey.set(c.key, await allMessages(p, c.key));
      caches.set(p, byKey);
    }
    const lines: string[] = [];
    for (const who of world.participants) {
      const db = openCacheFile(who.dataDir, who.userId, { readonly: true });
      const cursors = (db.prepare('SELECT domain, seq FROM sync_cursors ORDER BY domain').all() as { domain: number; seq: number }[]).map((r) => `${r.domain}:${r.seq}`);
      db.close();
      const head = Number((await client.query('SELECT max(seq) AS head FROM events WHERE user_id = $1', [who.userId])).rows[0]?.head ?? 0);
      const stored = new Set((await client.query('SELECT seq FROM events WHERE user_id = $1', [who.userId])).rows.map((r: { seq: number | string }) => Number(r.seq)));
      const gaps: number[] = [];
      for (let s = 1; s <= head && gaps.length < 20; s++) if (!stored.has(s)) gaps.push(s);
      const missing: string[] = [];
      for (const sender of world.participants) {
        if (sender === who) continue;
        for (const r of sender.sent) {
          const key = keyAt(world, sender, who, r.key);
          if (!key || !sender.shownSent.has(r.id)) continue;
          const own = caches.get(sender)!.get(r.key)?.find((m) => m.id === r.id);
          if (!own?.serverId) continue;
          const copies = (caches.get(who)!.get(key) ?? []).filter((m) => m.serverId === own.serverId).length;
          if (copies === 1) continue;
          const row = (await client.query('SELECT conv_seq FROM messages WHERE id = $1', [own.serverId])).rows[0] as { conv_seq: number } | undefined;
          const events = (await client.query('SELECT seq FROM events WHERE user_id = $1 AND ref = $2', [who.userId, own.serverId])).rows.map((e: { seq: number }) => e.seq);
          missing.push(`${sender.name} msg ${own.serverId} (${key} #${own.convSeq}): ${copies} copies; row ${row ? 'stored' : 'MISSING'}; event ${events.length > 0 ? `seq ${events.join(',')}` : 'MISSING'}`);
        }
      }
      lines.push(`${who.name} (user ${who.userId}, online ${await who.online()}): store head ${head}, ${stored.size} events, gaps [${gaps.join(',')}]; cache cursors ${cursors.join(' ')}; ${missing.length} copies missing`);
      lines.push(...missing.slice(0, MAX_MISSING).map((m) => `  ${m}`));
      if (missing.length > 0) lines.push(...who.recent.slice(-RECENT).map((r) => `    core: ${r}`));
    }
    return lines.join('\n');
  } finally {
    await client.end();
  }
}

/** The key under which `who` holds a message `sender` sent under `key`, or undefined if `who` is not a recipient. */
function keyAt(world: World, sender: Participant, who: Participant, key: ConversationKey): ConversationKey | undefined {
  const [kind, id] = key.split(':');
  if (kind === 'u') return Number(id) === who.userId ? `u:${sender.userId}` : undefined;
  return world.groups.get(Number(id))?.includes(who) ? key : undefined;
}
