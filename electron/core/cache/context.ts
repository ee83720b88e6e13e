/** What every repository of one open cache shares. */
import type { CacheLogger } from './api';
import type { CacheDb } from './db';

export interface CacheContext {
  db: CacheDb;
  /** The account's user id. */
  userId: number;
  now: () => number;
  log: CacheLogger;
}

/** Sort key of pending/failed messages: after every conv seq, in creation (rowid) order. 2^52 keeps it a safe integer. */
export const PENDING_SORT_BASE = 2 ** 52;

/** Longest preview of a message in a conversation row or a quote. */
export const PREVIEW_LENGTH = 100;

export function preview(text: string): string {
  const flat = text.replace(/\s+/gu, ' ').trim();
  if (flat.length <= PREVIEW_LENGTH) return flat;
  let cut = PREVIEW_LENGTH;
  const c = flat.charCodeAt(cut);
  if (c >= 0xdc00 && c <= 0xdfff) cut--; // do not split a surrogate pair
  return flat.slice(0, cut);
}

export function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string' || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
