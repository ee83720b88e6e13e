/**
 * Presence: a user is online while any of their devices is logged in, on
 * any node (the session directory knows). Changes are pushed to the user's
 * friends (not to every co-member of every group: that is what
 * PRESENCE_QUERY is for); the notifier reaches those online, wherever they
 * are. last_seen is stored when the last device goes.
 */
import { create } from '@bufbuild/protobuf';
import { PresenceListSchema, PresenceSchema, type PresenceList, type PresenceQuery } from '../../shared/protocol';
import { friendIds, visiblePresence, wentOffline } from '../operations/presence';
import type { Caller, ServiceDeps } from './deps';
import { big, requireIds } from './validate';

export class PresenceService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * The user's presence may have changed: read it from the directory (not
   * from the event that prompted this, which may be stale by now when
   * devices come and go on several nodes at once) and tell the friends.
   */
  async changed(userId: number): Promise<void> {
    const { run, clock, notifier } = this.deps;
    const online = await this.isOnline(userId);
    const now = clock.now();
    const friends = online ? await run.read(friendIds, userId) : await run.write(wentOffline, userId);
    // Came back (or went) while we looked: the later change tells the friends.
    if ((await this.isOnline(userId)) !== online) return;
    if (friends.length > 0) notifier.presence(friends, create(PresenceSchema, { userId: big(userId), online, lastSeen: big(now) }));
  }

  async query(caller: Caller, req: PresenceQuery): Promise<PresenceList> {
    const { run, notifier } = this.deps;
    const visible = await run.read(visiblePresence, { caller, userIds: requireIds('user_ids', req.userIds, 1000) });
    const online = await notifier.onlineAmong(visible.map((v) => v.userId));
    return create(PresenceListSchema, {
      presences: visible.map((v) => create(PresenceSchema, { userId: big(v.userId), online: online.has(v.userId), lastSeen: big(v.lastSeen) })),
    });
  }

  private async isOnline(userId: number): Promise<boolean> {
    return (await this.deps.notifier.onlineAmong([userId])).has(userId);
  }
}
