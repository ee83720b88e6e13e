/** Helpers for cache tests: temp dirs with real SQLite files, and wire objects with number ids. */
import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConversationKey } from '../../../shared/ipc';
import { ConversationType, FriendRequestState, FriendState, GroupRole, ReceiptType, SyncDomain } from '../../../shared/protocol';
import { openCache, type Cache, type OpenCacheResult, type WireMessage, type WireProfile, type WireSyncEvent } from '../../../electron/core/cache';

export const ME = 1;

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'tern-cache-'));
  dispose(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

let clock = 1_700_000_000_000;
export const now = (): number => clock;
export function tick(ms = 1000): number {
  clock += ms;
  return clock;
}

/** Opens a cache in a fresh temp dir; `done()` closes it and removes the dir. */
export function freshCache(userId = ME): { cache: Cache; dir: TempDir; result: OpenCacheResult; done: () => void } {
  const dir = new TempDir();
  const result = openCache({ dir: dir.path, userId, now });
  return {
    cache: result.cache,
    dir,
    result,
    done: () => {
      result.cache.close();
      dir.dispose();
    },
  };
}

/** Registers an afterEach that closes every cache opened through the returned function (and removes its dir). */
export function cacheOpener(): () => Cache {
  let cleanup: (() => void)[] = [];
  afterEach(() => {
    cleanup.forEach((f) => f());
    cleanup = [];
  });
  return () => {
    const c = freshCache();
    cleanup.push(c.done);
    return c.cache;
  };
}

export function ref(key: ConversationKey): { type: ConversationType; id: number } {
  return { type: key.startsWith('g:') ? ConversationType.GROUP : ConversationType.DIRECT, id: Number(key.slice(2)) };
}

let nextMsgId = 1000;
export function wireMessage(key: ConversationKey, convSeq: number, over: Partial<WireMessage> = {}): WireMessage {
  const msgId = over.msgId ?? nextMsgId++;
  return {
    msgId,
    conversation: ref(key),
    convSeq,
    senderId: Number(key.slice(2)),
    clientMsgId: `c-${String(msgId)}`,
    sentAt: 1_700_000_000_000 + convSeq * 1000,
    text: `message ${convSeq}`,
    mentions: [],
    replyToMsgId: 0,
    recalled: false,
    editedAt: 0,
    attachments: [],
    ...over,
  };
}

export function wireProfile(userId: number, nickname: string, updatedAt = 1): WireProfile {
  return { userId, username: `user${userId}`, nickname, avatar: '', signature: '', updatedAt };
}

export function receipt(key: ConversationKey, userId: number, type: 'delivered' | 'read', upTo: number) {
  return { conversation: ref(key), userId, type: type === 'read' ? ReceiptType.READ : ReceiptType.DELIVERED, upToConvSeq: upTo, at: 0 };
}

export function messageEvent(seq: number, m: WireMessage): WireSyncEvent {
  return { seq, domain: SyncDomain.MESSAGES, event: { case: 'message', value: m } };
}

export { ConversationType, FriendRequestState, FriendState, GroupRole, ReceiptType, SyncDomain };
