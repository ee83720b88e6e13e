/** SqliteStore.transaction (hand-rolled BEGIN/SAVEPOINT, see sqlite-store.ts) and the hot-path lookups added for speed. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../server/storage/sqlite-store';
import { removeDir, tempDir } from './helpers/server';

let dir: string;
let store: SqliteStore;
let commits: number;

beforeEach(() => {
  dir = tempDir();
  store = SqliteStore.open(join(dir, 't.db'));
  commits = 0;
  store.onCommit = () => commits++;
});
afterEach(() => {
  store.close();
  removeDir(dir);
});

const user = (name: string) => store.users.create({ username: name, passwordHash: 'x', nickname: name, now: 1 });
const names = () => store.users.list().map((u) => u.username);

describe('SqliteStore.transaction', () => {
  it('a failing savepoint undoes only its own writes; the outer commit keeps the rest and counts once', () => {
    store.transaction(() => {
      user('a');
      expect(() =>
        store.transaction(() => {
          user('b');
          throw new Error('job failed after writing');
        }),
      ).toThrow('job failed after writing');
      store.transaction(() => user('c'));
    });
    expect(names()).toEqual(['a', 'c']);
    expect(commits).toBe(1);
    expect(store.db.inTransaction).toBe(false);
  });

  it('a failing outer transaction rolls everything back, savepoints included, and is not counted', () => {
    expect(() =>
      store.transaction(() => {
        store.transaction(() => user('a'));
        user('b');
        throw new Error('outer failed');
      }),
    ).toThrow('outer failed');
    expect(names()).toEqual([]);
    expect(commits).toBe(0);
    expect(store.db.inTransaction).toBe(false);
    // Usable afterwards.
    store.transaction(() => user('c'));
    expect(names()).toEqual(['c']);
    expect(commits).toBe(1);
  });

  it('a constraint error inside a savepoint leaves the transaction usable', () => {
    store.transaction(() => {
      user('a');
      expect(() => store.transaction(() => user('a'))).toThrow(/UNIQUE/);
      user('b');
    });
    expect(names()).toEqual(['a', 'b']);
  });
});

describe('hot-path lookups', () => {
  it('events.append with a known sequence stores it, and a wrong one fails on the key', () => {
    const a = user('a');
    store.transaction(() => {
      expect(store.events.append(a, 1, 0, Uint8Array.of(1))).toBe(1);
      const next = store.users.seqHead(a) + 1;
      expect(store.events.append(a, 1, 0, Uint8Array.of(2), next)).toBe(2);
      expect(() => store.events.append(a, 1, 0, Uint8Array.of(3), next)).toThrow(/UNIQUE|PRIMARY/);
    });
    expect(store.users.seqHead(a)).toBe(2);
  });

  it('messages.deliveryRef finds the message of a message event, and nothing for other events', () => {
    const a = user('a');
    const b = user('b');
    store.transaction(() => {
      const conv = store.conversations.ensureDirect(a, b);
      const id = store.messages.insert({ conv_id: conv.id, conv_seq: 1, sender_id: a, client_msg_id: 'm1', sent_at: 1, text: 'hi', mentions: '', reply_to: 0, sender_seq: 1 });
      store.events.append(b, 1, 0, Uint8Array.of(9)); // seq 1: not a message
      store.events.append(b, 1, id, null); // seq 2: the message
      expect(store.messages.deliveryRef(b, 1)).toBeUndefined();
      expect(store.messages.deliveryRef(b, 2)).toEqual({ conv_id: conv.id, conv_seq: 1, sender_id: a });
      expect(store.messages.deliveryRef(b, 3)).toBeUndefined();
    });
  });
});
