/**
 * Presence: a user is online while any of their devices is connected and
 * logged in. Changes are pushed to online friends (not to every co-member of
 * every group: that is what PRESENCE_QUERY is for). last_seen is stored when
 * the last device goes.
 */
import { create } from '@bufbuild/protobuf';
import { PresenceListSchema, PresenceSchema, type PresenceList, type PresenceQuery } from '../../shared/protocol';
import { friendIds, visiblePresence, wentOffline } from '../operations/presence';
import type { Caller, ServiceDeps } from './deps';
import { big, requireIds } from './validate';

export class PresenceService {
  constructor(private readonly deps: ServiceDeps) {}

  async changed(userId: number, online: boolean): Promise<void> {
    const { run, clock, notifier } = this.deps;
    const now = clock.now();
    const friends = online ? await run.read(friendIds, userId) : await run.write(wentOffline, userId);
    // Came back (or went) while we looked: the later change tells the friends.
    if (notifier.isOnline(userId) !== online) return;
    const presence = create(PresenceSchema, { userId: big(userId), online, lastSeen: big(now) });
    const audience = friends.filter((id) => notifier.isOnline(id));
    if (audience.length > 0) notifier.presence(audience, presence);
  }

  async query(caller: Caller, req: PresenceQuery): Promise<PresenceList> {
    const { run, notifier } = this.deps;
    const visible = await run.read(visiblePresence, { caller, userIds: requireIds('user_ids', req.userIds, 1000) });
    return create(PresenceListSchema, {
      presences: visible.map((v) => create(PresenceSchema, { userId: big(v.userId), online: notifier.isOnline(v.userId), lastSeen: big(v.lastSeen) })),
    });
  }
}
