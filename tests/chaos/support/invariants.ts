/**
 * The invariants every chaos scenario ends with, checked against the real
 * client cores (their contract methods) and their SQLite caches (read-only,
 * for the counters the contract does not show):
 *
 * 1. Every message a sender's UI showed as sent is in every recipient's cache
 *    exactly once, with the sender's server id, sequence, text and (server) time.
 * 2. Every conversation in every cache is in sequence order with no holes, and
 *    holds nothing nobody sent (no phantom, no double under another id).
 * 3. Every message ever sent is still in its sender's cache, as sent (or
 *    delivered/read), or failed with an error (resend available); never gone.
 *    (`allowFailed: false` requires every one to be acknowledged.)
 * 4. Unread counts, the last message and its preview agree with the messages.
 * 5. (`freshDeviceAgrees`) The cursors skipped nothing: the same account signed
 *    in on a new device, syncing from zero, gets exactly the acknowledged
 *    messages the long-lived cache holds.
 *
 * `checkInvariants` returns the violations (empty when all hold) with enough
 * detail to debug; scenarios `expect(...).toEqual([])`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConversationKey, MessageView } from '../../../shared/ipc';
import { preview, PENDING_SORT_BASE } from '../../../electron/core/cache/context';
import { openCacheFile } from '../../support/cache-file';
import type { Participant } from './participant';

export interface Conversation {
  key: (viewer: Participant) => ConversationKey;
  members: Participant[];
}

/** Who sees a conversation key of `sender`: the peer of a direct chat, or the group's other members. */
export interface Topology {
  /** Group id → members. */
  groups: Map<number, Participant[]>;
  participants: Participant[];
}

export interface CheckOptions {
  /** Messages may end failed (with an error) instead of acknowledged (default true). */
  allowFailed?: boolean;
}

/** Every message of a conversation, oldest first, through the contract (pages of 200). */
export async function allMessages(p: Participant, key: ConversationKey): Promise<MessageView[]> {
  let page = await p.core.loadMessages({ key, limit: 200 });
  const out = [...page.messages];
  while (page.hasMoreBefore && page.messages.length > 0) {
    page = await p.core.loadMessages({ key, limit: 200, anchor: { messageId: page.messages[0]!.id, direction: 'before' } });
    out.unshift(...page.messages);
  }
  return out;
}

function recipientsOf(topology: Topology, sender: Participant, key: ConversationKey): { who: Participant; key: ConversationKey }[] {
  const [kind, idText] = key.split(':') as ['u' | 'g', string];
  const id = Number(idText);
  if (kind === 'u') {
    const peer = topology.participants.find((p) => p.userId === id);
    return peer ? [{ who: peer, key: `u:${sender.userId}` }] : [];
  }
  return (topology.groups.get(id) ?? []).filter((m) => m !== sender).map((who) => ({ who, key }));
}

interface CacheRow {
  key: string;
  read_seq: number;
  unread: number;
  counted: number;
}

/** Opens a participant's cache file read-only (the core keeps it open; WAL allows readers). */
function cacheCounters(p: Participant): CacheRow[] {
  const file = join(p.dataDir, 'accounts', String(p.userId), 'cache.db');
  if (!existsSync(file)) return [];
  const db = openCacheFile(p.dataDir, p.userId, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT c.key, c.read_seq, c.unread,
                (SELECT count(*) FROM messages m WHERE m.conv = c.key AND m.sort_key > c.read_seq AND m.sort_key < ? AND m.outgoing = 0 AND m.recalled = 0) AS counted
           FROM conversations c`,
      )
      .all(PENDING_SORT_BASE) as CacheRow[];
    return rows;
  } finally {
    db.close();
  }
}

export async function checkInvariants(topology: Topology, options: CheckOptions = {}): Promise<string[]> {
  const allowFailed = options.allowFailed ?? true;
  const problems: string[] = [];
  const caches = new Map<Participant, Map<ConversationKey, MessageView[]>>();

  // Read every conversation of every cache once.
  for (const p of topology.participants) {
    const byKey = new Map<ConversationKey, MessageView[]>();
    const convs = await p.core.listConversations({ limit: 500 });
    const counters = cacheCounters(p);
    for (const c of convs.items) {
      const msgs = await allMessages(p, c.key);
      byKey.set(c.key, msgs);
      // 4. last message and preview, unread as the UI shows it.
      const newest = msgs.at(-1);
      if (newest && c.lastMessage?.id !== newest.id) problems.push(`${p.name} ${c.key}: last message is ${c.lastMessage?.id}, newest in the conversation is ${newest.id}`);
      if (newest && c.lastMessage && !newest.recalled && c.lastMessage.preview !== preview(newest.text))
        problems.push(`${p.name} ${c.key}: preview ${JSON.stringify(c.lastMessage.preview)} does not match the newest message`);
      const cached = counters.find((r) => r.key === c.key);
      if (cached && (cached.unread !== cached.counted || c.unread !== cached.counted))
        problems.push(`${p.name} ${c.key}: unread shown ${c.unread}, stored ${cached.unread}, counted from messages ${cached.counted}`);
    }
    caches.set(p, byKey);

    // 2. order, holes, doubles within each conversation.
    for (const [key, msgs] of byKey) {
      const acked = msgs.filter((m) => m.convSeq !== undefined);
      for (let i = 1; i < acked.length; i++) {
        if (acked[i]!.convSeq! <= acked[i - 1]!.convSeq!) problems.push(`${p.name} ${key}: seq ${acked[i]!.convSeq} after ${acked[i - 1]!.convSeq} (out of order or doubled)`);
      }
      if (acked.length > 0) {
        const first = acked[0]!.convSeq!;
        const last = acked.at(-1)!.convSeq!;
        if (first !== 1 || last - first + 1 !== acked.length) problems.push(`${p.name} ${key}: sequences ${first}..${last} but ${acked.length} messages (a hole)`);
      }
      const texts = new Map<string, number>();
      // Group service messages (created, members added...) have no text; their server ids are unique in the cache.
      for (const m of msgs) if (!m.groupAction) texts.set(`${m.senderId}\u0000${m.text}`, (texts.get(`${m.senderId}\u0000${m.text}`) ?? 0) + 1);
      for (const [t, n] of texts) if (n > 1) problems.push(`${p.name} ${key}: ${n} copies of one message (${t.split('\u0000')[1]!.slice(0, 40)})`);
    }
  }

  // 3. every send is still there, acknowledged or failed with an error.
  for (const s of topology.participants) {
    const mine = caches.get(s)!;
    for (const r of s.sent) {
      const m = mine.get(r.key)?.find((x) => x.id === r.id);
      if (!m) {
        problems.push(`${s.name}: sent message ${r.id} (${r.text}) vanished from its cache`);
        continue;
      }
      if (m.text !== r.text) problems.push(`${s.name}: message ${r.id} text changed`);
      const acked = m.status === 'sent' || m.status === 'delivered' || m.status === 'read';
      if (!acked && !(allowFailed && m.status === 'failed' && m.error)) problems.push(`${s.name}: message ${r.id} (${r.text}) ended ${m.status}${m.error ? ` (${m.error.code})` : ''}`);
      if (acked && !s.shownSent.has(r.id)) problems.push(`${s.name}: message ${r.id} is ${m.status} in the cache but the UI was never told`);
    }
  }

  // 1. what the UI showed as sent reached every recipient once, identical.
  for (const s of topology.participants) {
    const mine = caches.get(s)!;
    for (const r of s.sent) {
      if (!s.shownSent.has(r.id)) continue;
      const own = mine.get(r.key)?.find((x) => x.id === r.id);
      if (!own) continue; // reported above
      for (const { who, key } of recipientsOf(topology, s, r.key)) {
        const theirs = (caches.get(who)!.get(key) ?? []).filter((m) => m.senderId === s.userId && m.text === r.text);
        if (theirs.length !== 1) {
          problems.push(`${who.name} has ${theirs.length} copies of ${s.name}'s "${r.text}" in ${key} (expected 1)`);
          continue;
        }
        const t = theirs[0]!;
        if (t.serverId !== own.serverId || t.convSeq !== own.convSeq) problems.push(`${who.name}: ${s.name}'s "${r.text}" has server id/seq ${t.serverId}/${t.convSeq}, sender has ${own.serverId}/${own.convSeq}`);
        // Once acknowledged, a message carries the server's time on every device (a skewed client clock changes nothing).
        if (t.sentAt !== own.sentAt) problems.push(`${who.name}: ${s.name}'s "${r.text}" sent at ${t.sentAt}, the sender shows ${own.sentAt}`);
      }
    }
  }

  // 2b. nothing in a cache that nobody sent.
  const sentTexts = new Map<number, Set<string>>();
  // A send cut off by a kill of the core may have been stored and sent after the restart: not a phantom.
  for (const s of topology.participants) sentTexts.set(s.userId, new Set([...s.sent, ...s.cut].map((r) => r.text)));
  for (const [p, byKey] of caches) {
    for (const [key, msgs] of byKey) {
      for (const m of msgs) {
        const known = sentTexts.get(m.senderId);
        if (known && !known.has(m.text) && !m.recalled && !m.groupAction) problems.push(`${p.name} ${key}: a message nobody sent (${m.text.slice(0, 40)})`);
      }
    }
  }
  return problems;
}

/**
 * 5. A new device of `p`'s account (fresh cache, cursor 0) signs in and syncs;
 * each conversation must hold exactly the acknowledged messages of `p`'s
 * long-lived cache (same server ids, sequences and texts). A cursor that ever
 * skipped an event shows up here as a message the old cache lacks.
 */
export async function freshDeviceAgrees(p: Participant, makeFresh: () => Promise<Participant>): Promise<string[]> {
  const problems: string[] = [];
  const fresh = await makeFresh();
  try {
    const keys = (await p.core.listConversations({ limit: 500 })).items.map((c) => c.key);
    const shape = (ms: MessageView[]) =>
      ms
        .filter((m) => m.serverId !== undefined)
        .map((m) => `${m.convSeq}:${m.serverId}:${m.senderId}:${m.text}`)
        .join('\n');
    for (const key of keys) {
      const old = shape(await allMessages(p, key));
      let now = '';
      // The fresh device syncs in the background after login: give it time to catch up.
      for (let i = 0; i < 200 && now !== old; i++) {
        now = shape(await allMessages(fresh, key));
        if (now !== old) await new Promise((r) => setTimeout(r, 50));
      }
      if (now !== old) problems.push(`${p.name} ${key}: a fresh device sees\n${now}\nthe long-lived cache has\n${old}`);
    }
  } finally {
    await fresh.stop();
  }
  return problems;
}
