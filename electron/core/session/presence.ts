/**
 * Who is online, as far as this account can know: pushes for friends, the
 * answers to PRESENCE_QUERY for anyone else (group co-members), and
 * ourselves. Kept in the cache's memory-only presence table; each change is
 * one `presence` event.
 */
import { Command } from '../../../shared/protocol';
import type { Cache } from '../cache/api';
import type { Link } from '../connection-manager';
import { toErrorInfo } from '../errors';
import type { CoreEmitter } from '../events';
import type { Logger } from '../log';
import { big, num } from '../wire';

/** The server answers about at most this many users per query. */
const MAX_QUERY = 1000;

export interface PresenceDeps {
  cache: Cache;
  events: CoreEmitter;
  log: Logger;
}

export class PresenceTracker {
  constructor(private readonly deps: PresenceDeps) {}

  /** `hidden`: a last-seen setting (theirs or ours) hides their presence from us. */
  apply(userId: number, online: boolean, lastSeen: number, hidden = false): void {
    if (hidden) [online, lastSeen] = [false, 0];
    if (this.deps.cache.contacts.setPresence(userId, online, lastSeen, hidden)) {
      this.deps.events.emit('presence', { userId, online, lastSeen, ...(hidden ? { hidden } : {}) });
    }
  }

  /** Asks the server who of `userIds` (default: all friends) is online. Never throws. */
  async refresh(link: Link, userIds?: readonly number[]): Promise<void> {
    const ids = (userIds ?? this.friendIds()).slice(0, MAX_QUERY);
    if (ids.length === 0) return;
    try {
      const list = await link.request(Command.PRESENCE_QUERY, { userIds: ids.map((id) => big(id)) });
      for (const p of list.presences) this.apply(num(p.userId), p.online, num(p.lastSeen), p.hidden);
    } catch (err) {
      this.deps.log.debug({ err: toErrorInfo(err) }, 'presence query failed');
    }
  }

  private friendIds(): number[] {
    return this.deps.cache.contacts
      .listFriends()
      .filter((c) => c.state === 'friend')
      .map((c) => c.userId);
  }
}
