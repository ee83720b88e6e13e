import { describe, expect, it } from 'vitest';
import { mergeMessages, mergePage } from '../../renderer/stores/message-merge';
import { buildRows } from '../../renderer/composables/messageRows';
import { msg } from './fake-api';

const ids = (list: { id: string }[]) => list.map((m) => m.id);

describe('message merge', () => {
  it('merges an older history page before the loaded ones, without duplicates', () => {
    const loaded = [msg({ convSeq: 5 }), msg({ convSeq: 6 })];
    const older = [msg({ convSeq: 3 }), msg({ convSeq: 4 }), msg({ convSeq: 5 })];
    expect(ids(mergePage(loaded, older))).toEqual(['m3', 'm4', 'm5', 'm6']);
  });

  it('appends live pushes at the latest and replaces re-sent ones in place', () => {
    const loaded = [msg({ convSeq: 1 }), msg({ convSeq: 2 })];
    const pushed = [msg({ convSeq: 3 }), msg({ convSeq: 2, text: 'edited status' })];
    const out = mergeMessages(loaded, pushed, { atLatest: true });
    expect(ids(out)).toEqual(['m1', 'm2', 'm3']);
    expect(out[1]!.text).toBe('edited status');
  });

  it('keeps a pending message last and moves it into place once acknowledged', () => {
    const pending = msg({ id: 'local-1', outgoing: true, status: 'pending', sentAt: 1 });
    let list = mergeMessages([msg({ convSeq: 1 }), msg({ convSeq: 2 })], [pending], { atLatest: true });
    expect(ids(list)).toEqual(['m1', 'm2', 'local-1']);
    // A message from the peer is acked with seq 3 while ours is still pending: ours stays last.
    list = mergeMessages(list, [msg({ convSeq: 3 })], { atLatest: true });
    expect(ids(list)).toEqual(['m1', 'm2', 'm3', 'local-1']);
    // Ours is acked as seq 4, status sent: same id, new position, no duplicate.
    list = mergeMessages(list, [{ ...pending, convSeq: 4, serverId: 99, status: 'sent' }], { atLatest: true });
    expect(ids(list)).toEqual(['m1', 'm2', 'm3', 'local-1']);
    expect(list[3]!.status).toBe('sent');
  });

  it('orders out-of-order pushes by conversation sequence', () => {
    const out = mergeMessages([msg({ convSeq: 1 })], [msg({ convSeq: 4 }), msg({ convSeq: 2 }), msg({ convSeq: 3 })], { atLatest: true });
    expect(ids(out)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('does not glue new messages onto a window of old history, but updates what it shows', () => {
    const window = [msg({ convSeq: 10 }), msg({ convSeq: 12 })];
    const out = mergeMessages(window, [msg({ convSeq: 500 }), msg({ convSeq: 11 }), msg({ convSeq: 10, recalled: true })], { atLatest: false });
    expect(ids(out)).toEqual(['m10', 'm11', 'm12']);
    expect(out[0]!.recalled).toBe(true);
  });

  it('does not glue a change to an unloaded older message onto the top of a window that has more before it', () => {
    const window = [msg({ convSeq: 50 }), msg({ convSeq: 51 })];
    const changes = [msg({ convSeq: 3, text: 'file evicted' }), msg({ convSeq: 52 })];
    expect(ids(mergeMessages(window, changes, { atLatest: true, hasMoreBefore: true }))).toEqual(['m50', 'm51', 'm52']);
    // With nothing older left to load, the window is the whole conversation: it belongs there.
    expect(ids(mergeMessages(window, changes, { atLatest: true, hasMoreBefore: false }))).toEqual(['m3', 'm50', 'm51', 'm52']);
  });
});

describe('message rows', () => {
  it('adds day separators, the unread marker and sender names in groups', () => {
    const day1 = new Date(2026, 0, 1, 10).getTime();
    const day2 = new Date(2026, 0, 2, 10).getTime();
    const list = [
      msg({ convSeq: 1, sentAt: day1, senderId: 2 }),
      msg({ convSeq: 2, sentAt: day1 + 1000, senderId: 2 }),
      msg({ convSeq: 3, sentAt: day2, senderId: 2 }),
      msg({ convSeq: 4, sentAt: day2 + 1000, senderId: 3 }),
    ];
    const rows = buildRows(list, { group: true, firstUnreadId: 'm4' });
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'message', 'day', 'message', 'unread', 'message']);
    const senders = rows.flatMap((r) => (r.kind === 'message' ? [r.showSender] : []));
    expect(senders).toEqual([true, false, true, true]);
  });

  it('names the sender again after a group service line', () => {
    const at = new Date(2026, 0, 1, 10).getTime();
    const list = [
      msg({ convSeq: 1, sentAt: at, senderId: 2, text: '', groupAction: { kind: 'membersAdded', userIds: [3], name: '' } }),
      msg({ convSeq: 2, sentAt: at + 1000, senderId: 2 }),
      msg({ convSeq: 3, sentAt: at + 2000, senderId: 2 }),
    ];
    const senders = buildRows(list, { group: true, firstUnreadId: null }).flatMap((r) => (r.kind === 'message' ? [r.showSender] : []));
    expect(senders).toEqual([true, true, false]);
  });
});
