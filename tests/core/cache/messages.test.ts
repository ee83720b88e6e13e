import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ConversationRefSchema, MessageSchema, SyncEventSchema } from '../../../shared/protocol';
import type { Cache } from '../../../electron/core/cache';
import { cacheOpener, freshCache, ME, messageEvent, receipt, ref, wireMessage, SyncDomain } from './fixtures';

const open = cacheOpener();

function seqs(cache: Cache, key: `u:${number}` | `g:${number}`, limit = 100): (number | string)[] {
  return cache.messages.page(key, { limit }).messages.map((m) => m.convSeq ?? m.id);
}

describe('applyServerMessage', () => {
  it('is idempotent: the same message twice, by server id or by (sender, client id)', () => {
    const cache = open();
    const m = wireMessage('u:2', 1, { text: 'hello' });
    expect(cache.messages.applyServerMessage(m).change).toBe('inserted');
    expect(cache.messages.applyServerMessage(m).change).toBe('unchanged');
    // Same client id from the same sender under a different server id is still the same message.
    expect(cache.messages.applyServerMessage({ ...m, msgId: 99_999 }).change).toBe('unchanged');
    const page = cache.messages.page('u:2', { limit: 10 });
    expect(page.messages).toHaveLength(1);
    expect(page.messages[0]).toMatchObject({ id: m.clientMsgId, text: 'hello', outgoing: false, status: 'sent', serverId: m.msgId, convSeq: 1 });
    expect(cache.conversations.get('u:2')?.unread).toBe(1);
  });

  it('returns the same view as a read back, and survives two senders choosing the same client id', () => {
    const cache = open();
    const a = cache.messages.applyServerMessage(wireMessage('g:3', 1, { senderId: 4, clientMsgId: 'same', mentions: [{ userId: ME }] }));
    expect(a.message).toEqual(cache.messages.get('same'));
    const b = cache.transaction(() => cache.messages.applyServerMessage(wireMessage('g:3', 2, { senderId: 5, clientMsgId: 'same' })));
    expect(b?.change).toBe('inserted');
    expect(b?.message.id).toBe(`s${String(b?.message.serverId)}`);
    expect(cache.messages.page('g:3', { limit: 5 }).messages.map((m) => m.senderId)).toEqual([4, 5]);
    expect(cache.conversations.get('g:3')).toMatchObject({ unread: 2, mentioned: true });
  });

  it('accepts decoded protobuf messages (bigint ids)', () => {
    const cache = open();
    const m = create(MessageSchema, {
      msgId: 77n as never,
      conversation: create(ConversationRefSchema, { type: ref('u:5').type, id: 5n as never }),
      convSeq: 1n as never,
      senderId: 5n as never,
      clientMsgId: 'x-1',
      sentAt: 123n as never,
      text: 'big',
    });
    const r = cache.messages.applyServerMessage(m);
    expect(r.message).toMatchObject({ serverId: 77, convSeq: 1, senderId: 5, sentAt: 123, conversationKey: 'u:5' });
    const ev = create(SyncEventSchema, { seq: 1n as never, domain: SyncDomain.MESSAGES, event: { case: 'message', value: m } });
    expect(cache.applySyncEvents([ev]).messages).toEqual([]); // duplicate: nothing changed
  });

  it('a re-synced page and an older event after a newer one change nothing', () => {
    const cache = open();
    const events = [1, 2, 3].map((s) => messageEvent(s, wireMessage('g:9', s, { senderId: 3 })));
    const first = cache.applySyncEvents(events);
    expect(first.messages).toHaveLength(3);
    expect(first.unreadTotal).toBe(3);
    expect(first.cursors[SyncDomain.MESSAGES]).toBe(3);
    const again = cache.applySyncEvents(events);
    expect(again.messages).toEqual([]);
    expect(again.conversations).toEqual([]);
    // Recall (newer), then the original message event replayed (older): it stays recalled.
    const m2 = events[1]!.event.value as ReturnType<typeof wireMessage>;
    cache.messages.applyRecall({ conversation: ref('g:9'), msgId: m2.msgId, convSeq: 2, recalledBy: 3 });
    expect(cache.messages.applyServerMessage(m2).change).toBe('unchanged');
    expect(cache.messages.getByServerId(Number(m2.msgId))).toMatchObject({ recalled: true, text: '' });
    expect(cache.syncState.getCursor(SyncDomain.MESSAGES)).toBe(3);
    cache.applySyncEvents([events[0]!]);
    expect(cache.syncState.getCursor(SyncDomain.MESSAGES)).toBe(3); // never backwards
  });

  it('a recall that arrives before its message is remembered', () => {
    const cache = open();
    const m = wireMessage('u:2', 1, { text: 'secret' });
    expect(cache.messages.applyRecall({ conversation: ref('u:2'), msgId: m.msgId, convSeq: 1, recalledBy: 2 })).toBeUndefined();
    const r = cache.messages.applyServerMessage(m);
    expect(r.message).toMatchObject({ recalled: true, text: '' });
    expect(cache.conversations.get('u:2')?.unread).toBe(0);
    expect(cache.search.search({ query: 'secret', limit: 10 })).toEqual([]);
  });
});

describe('paging', () => {
  function filled(n: number): Cache {
    const cache = open();
    cache.transaction(() => {
      for (let s = 1; s <= n; s++) cache.messages.applyServerMessage(wireMessage('u:2', s));
    });
    return cache;
  }
  const idOf = (cache: Cache, seq: number): string => cache.messages.page('u:2', { limit: 1000 }).messages.find((m) => m.convSeq === seq)!.id;

  it('latest page, then before and after an anchor', () => {
    const cache = filled(25);
    const latest = cache.messages.page('u:2', { limit: 10 });
    expect(latest.messages.map((m) => m.convSeq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(latest).toMatchObject({ hasMoreBefore: true, hasMoreAfter: false });

    const before = cache.messages.page('u:2', { limit: 10, anchor: { messageId: latest.messages[0]!.id, direction: 'before' } });
    expect(before.messages.map((m) => m.convSeq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(before).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true });

    const oldest = cache.messages.page('u:2', { limit: 10, anchor: { messageId: before.messages[0]!.id, direction: 'before' } });
    expect(oldest.messages.map((m) => m.convSeq)).toEqual([1, 2, 3, 4, 5]);
    expect(oldest.hasMoreBefore).toBe(false);

    const after = cache.messages.page('u:2', { limit: 10, anchor: { messageId: idOf(cache, 20), direction: 'after' } });
    expect(after.messages.map((m) => m.convSeq)).toEqual([21, 22, 23, 24, 25]);
    expect(after).toMatchObject({ hasMoreBefore: true, hasMoreAfter: false });
  });

  it('around an anchor: the anchor in the middle, filled from the other side at the edges', () => {
    const cache = filled(25);
    const mid = cache.messages.page('u:2', { limit: 5, anchor: { messageId: idOf(cache, 12), direction: 'around' } });
    expect(mid.messages.map((m) => m.convSeq)).toEqual([10, 11, 12, 13, 14]);
    expect(mid).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true });
    const end = cache.messages.page('u:2', { limit: 5, anchor: { messageId: idOf(cache, 24), direction: 'around' } });
    expect(end.messages.map((m) => m.convSeq)).toEqual([21, 22, 23, 24, 25]);
    expect(end).toMatchObject({ hasMoreBefore: true, hasMoreAfter: false });
    const start = cache.messages.page('u:2', { limit: 5, anchor: { messageId: idOf(cache, 1), direction: 'around' } });
    expect(start.messages.map((m) => m.convSeq)).toEqual([1, 2, 3, 4, 5]);
    expect(start).toMatchObject({ hasMoreBefore: false, hasMoreAfter: true });
  });

  it('an unknown anchor or another conversation gives the latest page', () => {
    const cache = filled(3);
    expect(cache.messages.page('u:2', { limit: 10, anchor: { messageId: 'nope', direction: 'before' } }).messages).toHaveLength(3);
    expect(cache.messages.page('u:3', { limit: 10 }).messages).toEqual([]);
  });
});

describe('outgoing messages', () => {
  it('pending ones sort after every acked message, in creation order, and move to their seq when acked', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('u:2', 1));
    cache.messages.insertOutgoing({ id: 'p1', key: 'u:2', text: 'first', createdAt: 1 });
    cache.messages.insertOutgoing({ id: 'p2', key: 'u:2', text: 'second', createdAt: 2 });
    cache.messages.applyServerMessage(wireMessage('u:2', 2));
    expect(seqs(cache, 'u:2')).toEqual([1, 2, 'p1', 'p2']);
    expect(cache.conversations.get('u:2')?.lastMessage).toMatchObject({ id: 'p2', status: 'pending' });

    const acked = cache.messages.markAcked('p2', { msgId: 500, convSeq: 3, sentAt: 9 });
    expect(acked).toMatchObject({ id: 'p2', serverId: 500, convSeq: 3, status: 'sent', sentAt: 9 });
    expect(seqs(cache, 'u:2')).toEqual([1, 2, 3, 'p1']);
    expect(cache.messages.markAcked('p2', { msgId: 500, convSeq: 3, sentAt: 9 })).toMatchObject({ convSeq: 3 }); // twice is fine
    expect(cache.messages.setStatus('p1', 'failed', { code: 'TIMEOUT', message: 'no ack' })).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } });
    expect(cache.messages.setStatus('p1', 'pending')).toMatchObject({ status: 'pending' });
    expect(cache.messages.get('p1')?.error).toBeUndefined();
    // Once acked, a late failure does not downgrade.
    expect(cache.messages.setStatus('p2', 'failed')?.status).toBe('sent');
    expect(cache.conversations.get('u:2')?.unread).toBe(2); // outgoing messages never count
  });

  it('the echo of my own message (push or sync) merges with the pending row', () => {
    const cache = open();
    cache.messages.insertOutgoing({ id: 'c-1', key: 'g:4', text: 'hi all', createdAt: 1 });
    const echo = wireMessage('g:4', 7, { senderId: ME, clientMsgId: 'c-1', text: 'hi all' });
    const r = cache.messages.applyServerMessage(echo);
    expect(r).toMatchObject({ change: 'updated', message: { id: 'c-1', convSeq: 7, status: 'sent', outgoing: true } });
    expect(cache.messages.page('g:4', { limit: 10 }).messages).toHaveLength(1);
    expect(cache.messages.markAcked('c-1', { msgId: echo.msgId, convSeq: 7, sentAt: 1 })).toMatchObject({ convSeq: 7 });
    expect(cache.messages.page('g:4', { limit: 10 }).messages).toHaveLength(1);
  });

  it('receipts move outgoing messages to delivered and read, also when they arrive before the ack', () => {
    const cache = open();
    for (const id of ['a', 'b', 'c']) cache.messages.insertOutgoing({ id, key: 'u:2', text: id, createdAt: 1 });
    cache.messages.markAcked('a', { msgId: 1, convSeq: 1, sentAt: 1 });
    cache.messages.markAcked('b', { msgId: 2, convSeq: 2, sentAt: 1 });
    const d = cache.messages.applyReceipt(receipt('u:2', 2, 'delivered', 3));
    expect(d.messages.map((m) => [m.id, m.status])).toEqual([['a', 'delivered'], ['b', 'delivered']]);
    const rd = cache.messages.applyReceipt(receipt('u:2', 2, 'read', 1));
    expect(rd.messages.map((m) => [m.id, m.status])).toEqual([['a', 'read']]);
    expect(cache.messages.applyReceipt(receipt('u:2', 2, 'read', 1)).messages).toEqual([]); // idempotent
    expect(cache.messages.applyReceipt(receipt('u:2', 2, 'delivered', 1)).messages).toEqual([]); // older: nothing
    // 'c' is acked after the delivered receipt covering seq 3 arrived.
    expect(cache.messages.markAcked('c', { msgId: 3, convSeq: 3, sentAt: 1 })?.status).toBe('delivered');
    expect(cache.messages.get('b')?.status).toBe('delivered');
  });

  it('delete removes the message, its search entry, and fixes the conversation', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('u:2', 1, { text: 'keep' }));
    cache.messages.insertOutgoing({ id: 'x', key: 'u:2', text: 'failed one', createdAt: 1 });
    expect(cache.messages.delete('x')).toEqual({ key: 'u:2' });
    expect(cache.messages.delete('x')).toBeUndefined();
    expect(cache.conversations.get('u:2')?.lastMessage?.preview).toBe('keep');
    expect(cache.search.search({ query: 'failed', limit: 5 })).toEqual([]);
  });

  it('sending and acknowledging cost a few statements, and answer with exactly what changed', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('u:2', 1, { text: 'earlier' }));
    let before = cache.statementsRun();
    const sent = cache.enqueueOutgoing({ id: 'a', key: 'u:2', text: 'first', createdAt: 5 });
    // Conversation row, message row (+ its sort key), search entry, last message, outbox row, the conversation's view.
    expect(cache.statementsRun() - before).toBeLessThanOrEqual(7);
    expect(sent.message).toEqual(cache.messages.get('a'));
    expect(sent.conversation.lastMessage).toMatchObject({ id: 'a', status: 'pending' });
    cache.enqueueOutgoing({ id: 'b', key: 'u:2', text: 'second', createdAt: 6 });

    // 'a' is not the last message ('b' is): its ack leaves the conversation's view as it is.
    before = cache.statementsRun();
    const ackA = cache.acknowledgeOutgoing('a', { msgId: 10, convSeq: 2, sentAt: 7 });
    expect(cache.statementsRun() - before).toBeLessThanOrEqual(5);
    expect(ackA).toEqual({ message: cache.messages.get('a') });
    expect(ackA?.message).toMatchObject({ status: 'sent', convSeq: 2, serverId: 10 });
    expect(cache.outbox.get('a')).toBeUndefined();

    // 'b' is the last one: its ack changes the conversation's preview, so the conversation comes along.
    before = cache.statementsRun();
    const ackB = cache.acknowledgeOutgoing('b', { msgId: 11, convSeq: 3, sentAt: 8 });
    expect(cache.statementsRun() - before).toBeLessThanOrEqual(6);
    expect(ackB?.message).toEqual(cache.messages.get('b'));
    expect(ackB?.conversation).toEqual(cache.conversations.get('u:2'));
    expect(ackB?.conversation?.lastMessage).toMatchObject({ id: 'b', status: 'sent', at: 8 });
    expect(cache.acknowledgeOutgoing('nope', { msgId: 12, convSeq: 4, sentAt: 9 })).toBeUndefined();
  });

  it('an ack whose server id another row already holds keeps one copy', () => {
    const cache = open();
    cache.enqueueOutgoing({ id: 'p', key: 'u:2', text: 'twice', createdAt: 1 });
    // The same server message arrived under another local id (should not happen; the cache copes).
    cache.messages.applyServerMessage(wireMessage('u:2', 1, { msgId: 77, senderId: ME, clientMsgId: 'other-id', text: 'twice' }));
    const ack = cache.acknowledgeOutgoing('p', { msgId: 77, convSeq: 1, sentAt: 1 });
    expect(ack?.message.id).toBe('other-id');
    expect(cache.messages.page('u:2', { limit: 10 }).messages.map((m) => m.id)).toEqual(['other-id']);
    expect(cache.conversations.get('u:2')?.lastMessage?.id).toBe('other-id');
  });

  it('reply quotes resolve from the cache when the quoted message is there', () => {
    const cache = open();
    const q = wireMessage('u:2', 1, { text: 'the original' });
    cache.messages.applyServerMessage(q);
    const r = cache.messages.applyServerMessage(wireMessage('u:2', 2, { replyToMsgId: q.msgId }));
    expect(r.message.replyTo).toEqual({ serverId: q.msgId, senderId: 2, preview: 'the original' });
    const o = cache.messages.insertOutgoing({ id: 'o', key: 'u:2', text: 'ok', createdAt: 1, replyTo: { serverId: 12345, senderId: 9, preview: 'not cached' } });
    expect(o.replyTo).toEqual({ serverId: 12345, senderId: 9, preview: 'not cached' });
    // Quoting a cached message: the view built on send equals the row read back (the quote comes from the original).
    const quoting = cache.messages.insertOutgoing({ id: 'o2', key: 'u:2', text: 'yes', createdAt: 2, replyTo: { serverId: Number(q.msgId), senderId: 0, preview: 'stale' } });
    expect(quoting).toEqual(cache.messages.get('o2'));
    expect(quoting.replyTo).toEqual({ serverId: Number(q.msgId), senderId: 2, preview: 'the original' });
  });
});

describe('unread, mentions, mark read, recall', () => {
  it('counts incoming unread, ignores muted conversations in the total, and mark read clears', () => {
    const cache = open();
    cache.transaction(() => {
      for (let s = 1; s <= 3; s++) cache.messages.applyServerMessage(wireMessage('u:2', s));
      for (let s = 1; s <= 2; s++) cache.messages.applyServerMessage(wireMessage('g:7', s, { senderId: 5 }));
    });
    expect(cache.conversations.get('u:2')?.unread).toBe(3);
    expect(cache.conversations.unreadTotal()).toBe(5);
    cache.conversations.setMuted('g:7', 'forever');
    expect(cache.conversations.unreadTotal()).toBe(3);
    const r = cache.conversations.markRead('u:2');
    expect(r).toMatchObject({ readSeq: 3, changed: true, conversation: { unread: 0 } });
    expect(cache.conversations.markRead('u:2').changed).toBe(false);
    expect(cache.conversations.unreadTotal()).toBe(0);
    // A message at or below the read position is not unread (e.g. a re-sync of history).
    cache.messages.applyServerMessage(wireMessage('u:2', 2, { msgId: 42, clientMsgId: 'other' }));
    cache.messages.applyServerMessage(wireMessage('u:2', 4));
    expect(cache.conversations.get('u:2')?.unread).toBe(1);
  });

  it('mentions of me or @all set the flag; reading clears it; recalling the mention clears it', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('g:7', 1, { senderId: 5, mentions: [{ userId: 9 }] }));
    expect(cache.conversations.get('g:7')?.mentioned).toBe(false);
    const m = wireMessage('g:7', 2, { senderId: 5, mentions: [{ userId: ME }] });
    cache.messages.applyServerMessage(m);
    expect(cache.conversations.get('g:7')).toMatchObject({ mentioned: true, unread: 2 });
    cache.messages.applyRecall({ conversation: ref('g:7'), msgId: m.msgId, convSeq: 2, recalledBy: 5 });
    expect(cache.conversations.get('g:7')).toMatchObject({ mentioned: false, unread: 1 });
    cache.messages.applyServerMessage(wireMessage('g:7', 3, { senderId: 5, mentions: [{ userId: 0 }] }));
    expect(cache.conversations.get('g:7')?.mentioned).toBe(true);
    cache.conversations.markRead('g:7');
    expect(cache.conversations.get('g:7')).toMatchObject({ mentioned: false, unread: 0 });
  });

  it('a read receipt from my other device moves the read position', () => {
    const cache = open();
    for (let s = 1; s <= 5; s++) cache.messages.applyServerMessage(wireMessage('u:2', s));
    const r = cache.messages.applyReceipt(receipt('u:2', ME, 'read', 3));
    expect(r.conversation?.unread).toBe(2);
    expect(cache.messages.applyReceipt(receipt('u:2', ME, 'read', 2)).conversation).toBeUndefined();
    expect(cache.conversations.get('u:2')?.unread).toBe(2);
  });

  it('recall empties the text, keeps the row, updates the last message and unread', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('u:2', 1, { text: 'one' }));
    const m = wireMessage('u:2', 2, { text: 'two' });
    cache.messages.applyServerMessage(m);
    const v = cache.messages.applyRecall({ conversation: ref('u:2'), msgId: m.msgId, convSeq: 2, recalledBy: 2 });
    expect(v).toMatchObject({ recalled: true, text: '' });
    expect(cache.messages.applyRecall({ conversation: ref('u:2'), msgId: m.msgId, convSeq: 2, recalledBy: 2 })).toBeUndefined();
    expect(cache.conversations.get('u:2')).toMatchObject({ unread: 1, lastMessage: { recalled: true, preview: '' } });
  });
});

describe('paging with duplicate conv seqs (a misbehaving server)', () => {
  it('still returns every message once, ties in arrival order', () => {
    const c = freshCache();
    try {
      for (const [seq, id] of [[1, 10], [2, 11], [2, 12], [2, 13], [3, 14]] as const) c.cache.messages.applyServerMessage(wireMessage('u:2', seq, { msgId: id }));
      const all = c.cache.messages.page('u:2', { limit: 100 }).messages.map((m) => m.serverId);
      expect(all).toEqual([10, 11, 12, 13, 14]);
      const walked: (number | undefined)[] = [];
      let p = c.cache.messages.page('u:2', { limit: 1 });
      walked.unshift(...p.messages.map((m) => m.serverId));
      while (p.hasMoreBefore) {
        p = c.cache.messages.page('u:2', { limit: 1, anchor: { messageId: p.messages[0]!.id, direction: 'before' } });
        walked.unshift(...p.messages.map((m) => m.serverId));
      }
      expect(walked).toEqual(all);
      const around = c.cache.messages.page('u:2', { limit: 3, anchor: { messageId: c.cache.messages.getByServerId(12)!.id, direction: 'around' } });
      expect(around.messages.map((m) => m.serverId)).toEqual([11, 12, 13]);
    } finally {
      c.done();
    }
  });
});
